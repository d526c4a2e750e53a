from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import OpticsCase


@tagged("post_install", "-at_install")
class TestAccess(OpticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.optician = new_test_user(
            cls.env, "test_optician", groups="optics_core.group_optics_optician"
        )
        cls.lab = new_test_user(cls.env, "test_lab", groups="optics_core.group_optics_lab")
        # optics_core does not depend on point_of_sale: the POS module grants its
        # cashiers read-only access to prescriptions. Model that grant with a till
        # group of our own so the test does not need the POS installed.
        till = cls.env["res.groups"].create({"name": "Test Till"})
        cls.env["ir.model.access"].create(
            {
                "name": "test till reads prescriptions",
                "model_id": cls.env["ir.model"]._get_id("optics.prescription"),
                "group_id": till.id,
                "perm_read": True,
            }
        )
        cls.cashier = new_test_user(cls.env, "test_cashier", groups="base.group_user")
        cls.cashier.groups_id = [(4, till.id)]
        cls.internal_user = new_test_user(cls.env, "test_internal", groups="base.group_user")
        cls.other_company = cls.env["res.company"].create({"name": "Other Optics Store"})
        cls.other_optician = new_test_user(
            cls.env,
            "test_other_optician",
            groups="optics_core.group_optics_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, cls.other_company.ids)],
        )

    def test_cashier_cannot_edit_or_create_prescriptions(self):
        rx = self._confirmed_prescription()
        draft = self._prescription(sphere_od=-1.0)
        with self.assertRaises(AccessError):
            draft.with_user(self.cashier).write({"sphere_od": -1.5})
        with self.assertRaises(AccessError):
            self.env["optics.prescription"].with_user(self.cashier).create(
                {"partner_id": self.partner.id}
            )
        self.assertEqual(rx.with_user(self.cashier).sphere_od, -2.25)
        with self.assertRaises(AccessError):
            rx.with_user(self.cashier).action_cancel()
        self.assertEqual(rx.state, "confirmed")
        self.assertEqual(draft.sphere_od, -1.0)
        # without the till grant an internal user does not even read them
        with self.assertRaises(AccessError):
            rx.with_user(self.internal_user).read(["sphere_od"])
        # lenses are catalogue data every internal user reads
        self.assertTrue(self.range_sv_stock.with_user(self.cashier).read(["diameter"]))

    def test_cashier_cannot_delete_prescriptions(self):
        draft = self._prescription()
        with self.assertRaises(AccessError):
            draft.with_user(self.cashier).unlink()
        self.assertTrue(draft.exists())

    def test_optician_works_prescriptions_and_jobs(self):
        env = self.env(user=self.optician)
        rx = env["optics.prescription"].create(
            {
                "partner_id": self.partner.id,
                "sphere_od": -1.0,
                "sphere_os": -1.25,
                "pd_far_od": 31,
                "pd_far_os": 31,
            }
        )
        rx.action_confirm()
        job = env["mrp.production"]._optics_create_job(
            rx, self.frame, self.range_sv_stock, self.range_sv_stock
        )
        self.assertEqual(job.optics_prescription_id, rx)

    def test_optician_cannot_change_tolerance_profiles(self):
        profile = self.env.ref("optics_core.tolerance_ansi_z80_1").with_user(self.optician)
        self.assertTrue(profile.line_ids)
        with self.assertRaises(AccessError):
            profile.write({"name": "Lenient"})
        with self.assertRaises(AccessError):
            profile.line_ids[0].write({"tolerance_abs": 1.0})
        with self.assertRaises(AccessError):
            profile.line_ids[0].unlink()

    def test_lab_reads_prescriptions_but_cannot_change_them(self):
        rx = self._prescription(sphere_od=-1.0)
        self.assertEqual(rx.with_user(self.lab).sphere_od, -1.0)
        with self.assertRaises(AccessError):
            rx.with_user(self.lab).write({"sphere_od": -2.0})

    def test_lab_technician_takes_a_job_through_the_lab(self):
        rx = self._confirmed_prescription()
        job = self.env["mrp.production"]._optics_create_job(
            rx, self.frame, self.range_sv_stock, self.range_sv_stock
        )
        lab_job = job.with_user(self.lab)
        with self.assertRaises(UserError):
            lab_job.write({"optics_stage": "delivered"})
        lab_job.write({"optics_stage": "quality_check"})
        for line in lab_job.optics_measurement_ids:
            line.write({"measured": line.ordered, "is_measured": True})
        with self.assertRaises(AccessError):
            lab_job.optics_tolerance_profile_id.line_ids[0].write({"tolerance_abs": 2.0})
        lab_job.action_optics_ready()
        self.assertEqual(job.state, "done")
        self.assertEqual(job.optics_stage, "ready")
        lab_job.action_optics_deliver()
        self.assertEqual(job.optics_stage, "delivered")

    def test_other_company_sees_nothing(self):
        rx = self._confirmed_prescription()
        job = self.env["mrp.production"]._optics_create_job(
            rx, self.frame, self.range_sv_stock, self.range_sv_lab
        )
        job.write({"optics_stage": "quality_check"})
        self.assertTrue(job.optics_measurement_ids)
        env = self.env(user=self.other_optician)
        self.assertFalse(env["optics.prescription"].search([]))
        self.assertFalse(env["mrp.production"].search([("optics_prescription_id", "!=", False)]))
        self.assertFalse(env["optics.job.measurement"].search([]))
        with self.assertRaises(AccessError):
            env["optics.prescription"].browse(rx.id).read(["sphere_od"])
        own = env["optics.prescription"].create({"partner_id": self.partner.id})
        self.assertEqual(own.company_id, self.other_company)
        self.assertEqual(env["optics.prescription"].search([]), own)
