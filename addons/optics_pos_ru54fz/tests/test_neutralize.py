from odoo.modules.neutralize import neutralize_database
from odoo.tests import TransactionCase, tagged

from .common import FiscalEmulatorMixin


@tagged("post_install", "-at_install")
class TestNeutralize(FiscalEmulatorMixin, TransactionCase):
    """`odoo-bin neutralize` leaves a copy that reaches no register and no cloud account."""

    def test_neutralize_archives_registers_and_clears_credentials(self):
        self.start_fiscal_emulator()
        store = self.create_fiscal_device(url=self.emulator.url)
        cloud = self.create_fiscal_device(
            backend="atol_online",
            url="https://online.atol.ru/possystem/v5/",
            login="shop-login",
            password="s3cret",
            group_code="group-1",
        )
        archived = self.create_fiscal_device(login="old", password="old", active=False)
        self.set_fiscal_params(metrics_token="scrape-token")
        self.assertEqual(store.action_test_connection()["params"]["type"], "success")

        neutralize_database(self.env.cr)
        self.env.invalidate_all()

        devices = self.env["fiscal.device"].with_context(active_test=False).search([])
        self.assertTrue(store | cloud | archived <= devices)
        for device in devices:
            self.assertFalse(device.active, device.name)
            self.assertFalse(device.login or device.password or device.group_code, device.name)
            self.assertEqual(device.url, "http://neutralized.invalid/")
        self.assertFalse(self.env["fiscal.device"].search([]))
        self.assertFalse(
            self.env["ir.config_parameter"].sudo().get_param("optics_pos_ru54fz.metrics_token")
        )
        # The register that answered a moment ago is out of reach of the neutralized copy.
        self.assertEqual(store.action_test_connection()["params"]["type"], "danger")
