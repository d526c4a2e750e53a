from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.misc import file_path
from odoo.tools.safe_eval import safe_eval

from .common import OpticsCase


@tagged("post_install", "-at_install")
class TestGlassesJob(OpticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock = (
            cls.env["stock.warehouse"]
            .search([("company_id", "=", cls.company.id)], limit=1)
            .lot_stock_id
        )
        cls.glasses = cls.env.ref("optics_core.product_glasses")

    def _job(self, rx=None, range_od=None, range_os=None, frame=None):
        rx = rx or self._confirmed_prescription()
        wizard = Form(
            self.env["optics.glasses.job.wizard"].with_context(default_prescription_id=rx.id)
        )
        wizard.frame_id = frame or self.frame
        wizard.range_od_id = range_od or self.range_sv_stock
        wizard.range_os_id = range_os or self.range_sv_lab
        action = wizard.save().action_create_job()
        return self.env["mrp.production"].browse(action["res_id"])

    def _stock(self, product):
        return self.env["stock.quant"]._get_available_quantity(product, self.stock)

    def test_wizard_offers_only_lenses_for_each_eye_and_big_enough(self):
        rx = self._confirmed_prescription(sphere_os=-9.0, cylinder_os=0, axis_os=0)
        wizard = Form(
            self.env["optics.glasses.job.wizard"].with_context(default_prescription_id=rx.id)
        )
        self.assertEqual(wizard.pd_od, 31.5)
        wizard.frame_id = self.frame
        self.assertEqual(wizard.min_blank_od, 65.0)
        wizard.range_od_id = self.range_sv_stock
        wizard.range_os_id = self.range_sv_lab
        record = wizard.save()
        allowed_od = record._allowed_ranges("od")
        allowed_os = record._allowed_ranges("os")
        # the lens fields offer exactly these (their domain evaluated on the record)
        for eye, allowed in (("od", allowed_od), ("os", allowed_os)):
            field = record._fields[f"range_{eye}_id"]
            domain = safe_eval(
                field.domain,
                {
                    name: record[name]
                    for name in (
                        "lens_kind",
                        f"sphere_{eye}",
                        f"cylinder_{eye}",
                        f"addition_{eye}",
                        f"min_blank_{eye}",
                    )
                }
                | {"company_id": record.company_id.id},
            )
            self.assertEqual(self.env["optics.lens.range"].search(domain), allowed)
        self.assertIn(self.range_sv_stock, allowed_od)
        self.assertNotIn(self.range_small, allowed_od)  # 55 mm blank, 65 mm needed
        self.assertNotIn(self.range_sv_stock, allowed_os)  # -9.00 is lab only
        self.assertIn(self.range_sv_lab, allowed_os)

    def test_job_is_a_real_manufacturing_order(self):
        job = self._job()
        self.assertEqual(job.product_id, self.glasses)
        self.assertEqual(job.optics_stage, "received")
        self.assertTrue(job.optics_date_received)
        self.assertEqual(job.optics_partner_id, self.partner)
        components = job.move_raw_ids.mapped("product_id")
        self.assertEqual(components, self.frame | self.lens_sv.product_variant_id)
        self.assertEqual(len(job.move_raw_ids), 3)
        self.assertEqual(sum(job.move_raw_ids.mapped("product_uom_qty")), 3)
        self.assertEqual((job.optics_decentration_od, job.optics_min_blank_od), (3.5, 65.0))
        self.assertEqual((job.optics_decentration_os, job.optics_min_blank_os), (4.0, 66.0))
        # the left lens is lab surfaced in 10 days, counted from the user's own day
        today = fields.Date.context_today(job)
        self.assertEqual(job.optics_date_expected, today + timedelta(days=10))
        self.assertIn(job, job.optics_prescription_id.production_ids)

    def test_lens_outside_its_range_or_too_small_is_refused(self):
        rx = self._confirmed_prescription(sphere_os=-9.0, cylinder_os=0, axis_os=0)
        jobs = self.env["mrp.production"]
        count = jobs.search_count([])
        with self.assertRaises(UserError):
            jobs._optics_create_job(rx, self.frame, self.range_sv_stock, self.range_sv_stock)
        with self.assertRaises(ValidationError) as caught:
            jobs._optics_create_job(rx, self.frame, self.range_small, self.range_sv_lab)
        self.assertIn("Right eye (OD): the lens blank of 55 mm is too small", str(caught.exception))
        self.assertIn("65.0 mm", str(caught.exception))
        self.assertEqual(jobs.search_count([]), count)

    def _measure(self, job, offsets=None):
        offsets = offsets or {}
        for line in job.optics_measurement_ids:
            line.write(
                {
                    "measured": line.ordered + offsets.get((line.eye, line.quantity), 0),
                    "measured_base": line.ordered_base,
                    "is_measured": True,
                }
            )

    def _to_quality_check(self, job):
        while job.optics_stage != "quality_check":
            job.action_optics_next_stage()

    def test_stages_quality_check_and_completion_consume_stock(self):
        quant = self.env["stock.quant"]
        lens = self.lens_sv.product_variant_id
        quant._update_available_quantity(self.frame, self.stock, 5)
        quant._update_available_quantity(lens, self.stock, 10)
        job = self._job()
        self.assertEqual(job.state, "confirmed")
        self._to_quality_check(job)
        for stage in ("surfacing", "edging", "mounting", "quality_check"):
            self.assertTrue(job[f"optics_date_{stage}"], stage)
        lines = job.optics_measurement_ids
        self.assertEqual(
            sorted(lines.filtered(lambda m: m.eye == "od").mapped("quantity")),
            [
                "axis",
                "centre_horizontal",
                "cylinder",
                "height",
                "prism_horizontal",
                "prism_vertical",
                "sphere",
            ],
        )
        od_sphere = lines.filtered(lambda m: m.eye == "od" and m.quantity == "sphere")
        self.assertEqual(od_sphere.ordered, -2.25)
        os_axis = lines.filtered(lambda m: m.eye == "os" and m.quantity == "axis")
        self.assertEqual(os_axis.ordered, 5)  # +0.50 x 95 ordered as -0.50 x 5
        self.assertEqual(job.optics_qc_state, "pending")
        with self.assertRaises(UserError):
            job.action_optics_ready()
        # 0.12 D on the sphere and 4 degrees on a 0.50 D cylinder (tolerance 7): pass
        self._measure(job, {("od", "sphere"): 0.12, ("os", "axis"): 4})
        self.assertEqual(job.optics_qc_state, "passed")
        job.action_optics_ready()
        self.assertEqual(job.state, "done")
        self.assertEqual(job.optics_stage, "ready")
        self.assertTrue(all(move.state == "done" for move in job.move_raw_ids))
        self.assertEqual(self._stock(self.frame), 4)
        self.assertEqual(self._stock(lens), 8)
        self.assertEqual(self._stock(self.glasses), 1)
        mail = job.message_ids.filtered(lambda m: "Your glasses are ready" in (m.subject or ""))
        self.assertTrue(mail)
        self.assertIn(self.partner, mail.partner_ids)
        self.assertFalse(job._optics_send_ready_sms())
        job.action_optics_deliver()
        self.assertEqual(job.optics_stage, "delivered")
        self.assertTrue(job.optics_date_delivered)

    def test_quality_check_fails_outside_tolerance(self):
        job = self._job()
        self._to_quality_check(job)
        self._measure(job, {("od", "sphere"): 0.25})
        self.assertEqual(job.optics_qc_state, "failed")
        failed = job.optics_measurement_ids.filtered(lambda m: not m.passed)
        self.assertEqual(failed.quantity, "sphere")
        self.assertAlmostEqual(failed.tolerance, 0.13)
        with self.assertRaises(UserError):
            job.action_optics_ready()
        self.assertEqual(job.state, "confirmed")

    def test_tolerance_profile_decides(self):
        job = self._job()
        self._to_quality_check(job)
        self._measure(job, {("od", "sphere"): 0.13})
        self.assertEqual(job.optics_qc_state, "passed")  # ANSI Z80.1: +/-0.13 D
        job.optics_tolerance_profile_id = self.env.ref("optics_core.tolerance_iso_8980")
        self.assertEqual(job.optics_qc_state, "failed")  # ISO 8980-1: +/-0.12 D

    def test_barcode_on_the_job_sheet_finds_the_job(self):
        job = self._job()
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "optics_core.report_job_sheet", job.ids
        )
        html = html.decode()
        # the Code128 barcode of the job name is rendered inline as an image
        self.assertIn('src="data:image/png;base64,', html)
        self.assertIn(job.name, html)
        found = self.env["mrp.production"].search([("name", "=", job.name)])
        self.assertEqual(found, job)

    def test_vca_export_matches_the_golden_file(self):
        job = self._job(range_os=self.range_sv_stock)
        job.name = "GJ-TEST-0001"
        with open(file_path("optics_core/tests/data/job_golden.vca"), "rb") as golden:
            expected = golden.read()
        self.assertEqual(job._optics_vca_content(), expected)
        action = job.action_optics_export_vca()
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "mrp.production"), ("res_id", "=", job.id)]
        )
        self.assertEqual(attachment.raw, expected)
        self.assertIn(str(attachment.id), action["url"])
