from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import OpticsCase


@tagged("post_install", "-at_install")
class TestPrescriptionFlow(OpticsCase):
    def test_sequence_and_computed_forms(self):
        rx = self._prescription(
            kind="progressive",
            sphere_od=-2.0,
            cylinder_od=1.0,
            axis_od=90,
            addition_od=2.0,
            sphere_os=1.5,
            cylinder_os=-0.5,
            axis_os=180,
            addition_os=2.0,
        )
        self.assertTrue(rx.name.startswith("RX/"))
        self.assertEqual(
            (rx.transposed_sphere_od, rx.transposed_cylinder_od, rx.transposed_axis_od),
            (-1.0, -1.0, 180),
        )
        self.assertEqual(
            (rx.transposed_sphere_os, rx.transposed_cylinder_os, rx.transposed_axis_os),
            (1.0, 0.5, 90),
        )
        self.assertEqual(rx.spherical_equivalent_od, -1.5)
        self.assertEqual(rx.spherical_equivalent_os, 1.25)
        self.assertEqual(rx.near_sphere_od, 0.0)
        self.assertEqual(rx.near_sphere_os, 3.5)
        strong = self._prescription(
            sphere_od=-8.0, cylinder_od=-2.0, axis_od=180, sphere_os=10.0, vertex_distance=12
        )
        # meridians -8.00 and -10.00 at 12 mm: -7.30 and -8.93 at the cornea
        self.assertEqual((strong.cornea_sphere_od, strong.cornea_cylinder_od), (-7.25, -1.75))
        self.assertEqual((strong.cornea_sphere_os, strong.cornea_cylinder_os), (11.25, 0.0))

    def test_a_failed_save_uses_up_no_number(self):
        first = self._prescription(sphere_od=-2.25)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self._prescription(sphere_od=-2.1)  # not a multiple of the step
        second = self._prescription(sphere_od=-1.0)
        prefix, number = first.name.rsplit("/", 1)
        self.assertEqual(second.name, f"{prefix}/{int(number) + 1:05d}")

    def test_powers_show_the_decimals_their_step_needs(self):
        def decimals(name):
            return self.env["optics.prescription"].fields_get([name])[name]["digits"][1]

        for name in ("sphere_od", "cylinder_os", "addition_od", "transposed_sphere_od"):
            self.assertEqual(decimals(name), 2, name)  # -2.25, not -2.250
        self.company.optics_cylinder_step = 0.125
        self.assertEqual(decimals("cylinder_os"), 3)
        rx = self._prescription(sphere_od=-2.0, cylinder_od=-0.125, axis_od=90)
        self.assertEqual(rx.cylinder_od, -0.125)
        self.company.optics_cylinder_step = 0.25
        self.assertEqual(decimals("sphere_od"), 2)

    def test_confirmed_prescription_is_read_only_and_corrected_by_a_new_one(self):
        rx = self._confirmed_prescription()
        with self.assertRaises(UserError):
            rx.sphere_od = -2.5
        self.assertEqual(rx.sphere_od, -2.25)
        action = rx.action_correct()
        correction = self.env["optics.prescription"].browse(action["res_id"])
        self.assertEqual(correction.state, "draft")
        self.assertEqual(correction.previous_id, rx)
        self.assertNotEqual(correction.name, rx.name)
        correction.sphere_od = -2.5
        correction.action_confirm()
        self.assertEqual(rx.state, "cancelled")
        self.assertEqual(rx.corrected_by_ids, correction)
        self.assertEqual(rx.sphere_od, -2.25)

    def test_only_draft_prescriptions_can_be_deleted(self):
        rx = self._confirmed_prescription()
        with self.assertRaises(UserError):
            rx.unlink()
        self.assertTrue(rx.exists())
        draft = self._prescription()
        draft.unlink()
        self.assertFalse(draft.exists())

    def test_expiry_rules_and_cron(self):
        today = fields.Date.context_today(self.env["optics.prescription"])
        adult = self._confirmed_prescription(date=today - relativedelta(months=25))
        self.assertEqual(adult.expiry_date, adult.date + relativedelta(months=24))
        child_partner = self.partner.copy({"optics_birthdate": today - relativedelta(years=9)})
        child = self._confirmed_prescription(
            partner_id=child_partner.id, date=today - relativedelta(months=13)
        )
        self.assertEqual(child.expiry_date, child.date + relativedelta(months=12))
        recent_child = self._confirmed_prescription(
            partner_id=child_partner.id, date=today - relativedelta(months=11)
        )
        fresh_adult = self._confirmed_prescription(date=today - relativedelta(months=13))
        self.env.ref("optics_core.ir_cron_expire_prescriptions").method_direct_trigger()
        self.assertEqual(adult.state, "expired")
        self.assertEqual(child.state, "expired")
        self.assertEqual(recent_child.state, "confirmed")
        self.assertEqual(fresh_adult.state, "confirmed")

    def test_validity_months_are_settings(self):
        settings = self.env["res.config.settings"].create({"optics_expiry_adult_months": 36})
        settings.execute()
        self.assertEqual(self.company.optics_expiry_adult_months, 36)
        rx = self._confirmed_prescription(date=date(2026, 1, 10))
        self.assertEqual(rx.expiry_date, date(2029, 1, 10))

    def test_partner_history_and_smart_button(self):
        first = self._confirmed_prescription(date=date(2025, 3, 1))
        second = self._prescription(date=date(2026, 3, 1))
        self.assertEqual(self.partner.optics_prescription_count, 2)
        self.assertEqual(self.partner.optics_prescription_ids, first | second)
        action = self.partner.action_view_optics_prescriptions()
        found = self.env["optics.prescription"].search(action["domain"])
        self.assertEqual(found, first | second)

    def test_prescription_report_renders_form_107(self):
        rx = self._confirmed_prescription(prescriber="Dr. Test")
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "optics_core.report_prescription", rx.ids
        )
        html = html.decode()
        self.assertIn("107-1/u", html)
        self.assertIn(rx.name, html)
        self.assertIn("-2.25", html)
        self.assertIn("Dr. Test", html)
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms(["optics_core"], ["ru_RU"])
        self.partner.lang = "ru_RU"
        html_ru = (
            self.env["ir.actions.report"]
            ._render_qweb_html("optics_core.report_prescription", rx.ids)[0]
            .decode()
        )
        self.assertIn("Форма № 107-1/у", html_ru)
        self.assertIn("РЕЦЕПТ НА ОЧКИ", html_ru)
