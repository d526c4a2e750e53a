"""Refusal while receipts wait for the register, on the fiscal module's real flow.

Runs only where optics_pos_ru54fz is installed (as in the suite's CI): a POS
sale through ``create_from_ui`` leaves a paid order "to send"; the import is
refused until the fiscal cron has sent it to the emulated register.
"""

import base64
import csv
import io
import unittest

import odoo
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import get_db_name

try:
    from odoo.addons.optics_pos_ru54fz.tests import common as fiscal_common
except ImportError:  # the fiscal module is not on the addons path at all
    fiscal_common = None

BaseCase = fiscal_common.FiscalPosCase if fiscal_common else unittest.TestCase


@tagged("post_install", "-at_install")
class TestRefusalWhileReceiptsUnsent(BaseCase):
    @classmethod
    def setUpClass(cls):
        if not fiscal_common or "fiscal.device" not in odoo.registry(get_db_name()):
            raise unittest.SkipTest("optics_pos_ru54fz is not installed: there is no fiscal "
                                    "queue to wait for")
        super().setUpClass()

    def preview(self):
        partner = self.env["res.partner"].create({"name": "Supplier with a till nearby"})
        profile = self.env["connector_b.profile"].create({
            "name": "One column", "partner_id": partner.id, "file_format": "csv",
            "line_ids": [(0, 0, {"column_name": "code", "target": "supplier_code"}),
                         (0, 0, {"column_name": "name", "target": "name"}),
                         (0, 0, {"column_name": "price", "target": "purchase_price"})],
        })
        text = io.StringIO()
        csv.writer(text, delimiter=";").writerows([["code", "name", "price"],
                                                   ["Z-1", "Футляр", "100,00"]])
        wizard = self.env["connector_b.import.wizard"].create({
            "profile_id": profile.id, "file": base64.b64encode(text.getvalue().encode()),
            "file_name": "list.csv"})
        return self.env["connector_b.run"].browse(wizard.action_preview()["res_id"])

    def test_import_waits_for_the_register(self):
        self.env.company.catalogue_refuse_unsent = True
        (order,) = self.sell(self.ui_order([(self.frame, 1)]))
        self.assertEqual(order.fiscal_state, "to_send")
        Run = self.env["connector_b.run"]
        self.assertGreaterEqual(Run._fiscal_unsent_count(), 1)
        with self.assertRaises(UserError) as caught:
            self.preview()
        self.assertIn("receipt(s) are not fiscalized yet", str(caught.exception))
        self.assertFalse(Run.search([("file_name", "=", "list.csv")]))

        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        self.assertEqual(Run._fiscal_unsent_count(), 0)
        run = self.preview()
        self.assertEqual((run.state, run.rows_created), ("previewed", 1))
