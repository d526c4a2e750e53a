from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import FiscalPosCase


@tagged("post_install", "-at_install")
class TestFiscalAccess(FiscalPosCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.device.write({"login": "kkt-user", "password": "s3cret", "group_code": "group-1"})
        cls.cashier = new_test_user(
            cls.env, "fiscal_cashier", groups="point_of_sale.group_pos_user"
        )
        cls.fiscal_admin = new_test_user(
            cls.env, "fiscal_admin", groups="optics_pos_ru54fz.group_fiscal_admin"
        )

    def test_cashier_cannot_read_credentials_or_change_devices(self):
        device = self.device.with_user(self.cashier)
        self.assertEqual(device.name, self.device.name)
        for field in ("password", "login", "group_code"):
            with self.assertRaises(AccessError):
                device.read([field])
        with self.assertRaises(AccessError):
            device.write({"url": "http://evil.example.com/"})
        with self.assertRaises(AccessError):
            self.env["fiscal.device"].with_user(self.cashier).create(
                {
                    "name": "Mine",
                    "url": "http://127.0.0.1:1/",
                    "company_inn": "5544332219",
                }
            )
        self.assertNotIn("password", self.env["fiscal.device"].with_user(self.cashier).fields_get())

    def test_cashier_reads_but_cannot_edit_prescriptions(self):
        prescription = self.env["optics.prescription"].create(
            {"partner_id": self.env["res.partner"].create({"name": "Rx customer"}).id,
             "kind": "distance"}
        )
        as_cashier = prescription.with_user(self.cashier)
        self.assertEqual(as_cashier.partner_id, prescription.partner_id)
        with self.assertRaises(AccessError):
            as_cashier.write({"sphere_od": -1.0})
        with self.assertRaises(AccessError):
            as_cashier.unlink()

    def test_fiscal_admin_manages_devices(self):
        device = self.device.with_user(self.fiscal_admin)
        self.assertEqual(device.password, "s3cret")
        device.write({"password": "n3w", "url": self.emulator.url})
        self.assertEqual(self.device.password, "n3w")

    def test_cashier_sees_status_and_fiscal_data(self):
        config = self.config.with_user(self.cashier)
        self.assertEqual(config.fiscal_status_for_ui()["level"], "green")
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        info = (
            self.env["pos.order"].with_user(self.cashier).fiscal_info_for_ui([order.pos_reference])
        )
        self.assertEqual(info[order.pos_reference]["state"], "fiscalized")

    def test_cashier_cannot_retry(self):
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        with self.assertRaises(UserError):
            order.with_user(self.cashier).action_fiscal_reissue()

    def test_invalid_inn_refused(self):
        with self.assertRaises(ValidationError):
            self.create_fiscal_device(company_inn="1234567890")
