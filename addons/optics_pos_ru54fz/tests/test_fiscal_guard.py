from xmlrpc.client import Fault

from odoo.tests import HttpCase, new_test_user, tagged

from .common import FiscalPosCase

GUARD_MESSAGE = "Only the fiscal connector writes these fields"
ADMIN_MESSAGE = "Only fiscal administrators may do this"
# A value of the right type for each guarded field, as an attacker would send it
# (and, set up with the records, another register for fiscal_device_id).
FORGED = {
    "fiscal_key": "forged-key",
    "fiscal_state": "fiscalized",
    "fiscal_operation": "sell_refund",
    "fiscal_fn": "9999078900001234",
    "fiscal_fd_number": 77,
    "fiscal_sign": "123456789",
    "fiscal_datetime": "2026-01-01 10:00:00",
    "fiscal_shift": 5,
    "fiscal_receipt_number": 9,
    "fiscal_registration_number": "0000000001012345",
    "fiscal_qr": "t=20260101T1000&s=1.00",
    "fiscal_total": 1.0,
    "fiscal_cash_amount": 1.0,
    "fiscal_electronic_amount": 1.0,
    "fiscal_error": False,
    "fiscal_error_kind": "refused:1",
    "last_error_kind": "refused:1",
    "paused_kind": "settings:12",
    "fiscal_shift_opened_at": "2020-01-01 10:00:00",
    "fiscal_shift_number": 5,
    "fiscal_z_report_done": True,
    "fiscal_sale_total": 1.0,
    "fiscal_refund_total": 1.0,
    "fiscal_cash_total": 1.0,
    "fiscal_electronic_total": 1.0,
    "fiscal_z_counted": True,
    "fiscal_z_cash_total": 1.0,
    "fiscal_z_electronic_total": 1.0,
    "fiscal_z_prepaid_total": 1.0,
    "fiscal_z_credit_total": 1.0,
    "queue_depth": 0,
    "sending_count": 0,
    "unknown_count": 0,
    "failed_count": 0,
    "oldest_pending_age": "",
    "breaker_state": "closed",
    "last_success": "2026-01-01 10:00:00",
    "last_error": "",
    "dead_count": 0,
    "fiscal_correction": True,
    "paused_reason": "forged",
    "status_at": "2026-01-01 10:00:00",
    "resume_requested": True,
    "shift_opened_at": "2026-01-01 10:00:00",
    "shift_renewed_at": "2026-01-01 10:00:00",
    "z_report_due": True,
}


@tagged("post_install", "-at_install")
class TestFiscalGuard(FiscalPosCase, HttpCase):
    """Fiscal fields and actions over real XML-RPC, as cashier, POS manager and administrator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.device.write({"login": "kkt-login", "password": "kkt-s3cret", "group_code": "grp-42"})
        groups = {
            "cashier": "point_of_sale.group_pos_user",
            "manager": "point_of_sale.group_pos_manager",
            "admin": "base.group_system,optics_pos_ru54fz.group_fiscal_admin",
        }
        cls.forged = {**FORGED, "fiscal_device_id": cls.create_fiscal_device().id}
        cls.rpc_users = {
            role: new_test_user(cls.env, f"guard_{role}", groups=group, password=f"guard_{role}pw1")
            for role, group in groups.items()
        }

    def rpc(self, role, model, method, *args, **kwargs):
        user = self.rpc_users[role]
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, f"{user.login}pw1", model, method, list(args), kwargs
        )

    def assert_refused(self, message, role, model, method, *args, **kwargs):
        with self.assertRaises(Fault) as refusal:
            self.rpc(role, model, method, *args, **kwargs)
        self.assertIn(message, refusal.exception.faultString)

    def snapshot(self, records):
        records.invalidate_recordset()
        return records.read(list(records._fiscal_guarded_fields))

    def failed_order(self):
        self.emulator.set_faults(reject=1)
        (order,) = self.sell(self.ui_order([(self.lens, 1)], customer=self.customer))
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "failed")
        return order

    def test_no_one_writes_order_fiscal_fields(self):
        order = self.failed_order()
        before = self.snapshot(order)
        orders_before = self.env["pos.order"].search_count([])
        for role in self.rpc_users:
            for name in order._fiscal_guarded_fields:
                with self.subTest(role=role, field=name):
                    value = {name: self.forged[name]}
                    self.assert_refused(
                        GUARD_MESSAGE, role, "pos.order", "write", [order.id], value
                    )
                    self.assert_refused(GUARD_MESSAGE, role, "pos.order", "copy", order.id, value)
                    self.assert_refused(
                        GUARD_MESSAGE,
                        role,
                        "pos.order",
                        "create",
                        {
                            "session_id": order.session_id.id,
                            "amount_tax": 0,
                            "amount_total": 0,
                            "amount_paid": 0,
                            "amount_return": 0,
                            **value,
                        },
                    )
        self.assertEqual(self.snapshot(order), before)
        self.assertEqual(self.env["pos.order"].search_count([]), orders_before)
        # The same user writes the order's other fields as before.
        self.rpc("manager", "pos.order", "write", [order.id], {"note": "checked"})
        self.assertEqual(order.note, "checked")

    def test_no_one_writes_session_or_device_fiscal_fields(self):
        self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        for records in (self.pos_session, self.device):
            before = self.snapshot(records)
            for role in self.rpc_users:
                for name in records._fiscal_guarded_fields:
                    with self.subTest(model=records._name, role=role, field=name):
                        self.assert_refused(
                            GUARD_MESSAGE,
                            role,
                            records._name,
                            "write",
                            records.ids,
                            {name: self.forged[name]},
                        )
            self.assertEqual(self.snapshot(records), before)

    def test_fiscal_actions_need_the_fiscal_admin_group(self):
        order = self.failed_order()
        letter = self.env["fiscal.dead.letter"].create(
            {"key": order.fiscal_key, "device_id": self.device.id, "order_id": order.id}
        )
        triggers = self.env["ir.cron.trigger"].search_count([])
        calls = [
            ("fiscal.device", "action_test_connection", [self.device.id]),
            ("fiscal.device", "action_sync_now", [self.device.id]),
            ("fiscal.device", "action_view_dead_letters", [self.device.id]),
            ("pos.session", "action_fiscal_sync_now", [self.pos_session.id]),
            ("pos.order", "action_fiscal_reissue", [order.id]),
            ("fiscal.dead.letter", "action_open"),
            ("fiscal.dead.letter", "action_reissue", [letter.id]),
        ]
        for model, method, *args in calls:
            with self.subTest(method=f"{model}.{method}"):
                self.assert_refused(ADMIN_MESSAGE, "cashier", model, method, *args)
        self.env.invalidate_all()
        self.assertEqual(order.fiscal_state, "failed")
        self.assertTrue(letter.exists())
        self.assertEqual(self.env["ir.cron.trigger"].search_count([]), triggers)
        # A fiscal administrator runs the same actions.
        answer = self.rpc("admin", "fiscal.device", "action_test_connection", [self.device.id])
        self.assertEqual(answer["params"]["type"], "success", answer["params"]["message"])
        self.rpc("admin", "pos.order", "action_fiscal_reissue", [order.id])
        self.env.invalidate_all()
        self.assertEqual(order.fiscal_state, "reissue")  # a request, carried out by the cron

    def test_messages_never_show_credentials(self):
        self.assertEqual(
            self.device._fiscal_mask("url/grp-42/sell as kkt-login:kkt-s3cret"),
            "url/***/sell as ***:***",
        )
        self.emulator.stop()
        answer = self.rpc("admin", "fiscal.device", "action_test_connection", [self.device.id])
        self.assertEqual(answer["params"]["type"], "danger")
        for secret in ("kkt-login", "kkt-s3cret", "grp-42"):
            self.assertNotIn(secret, answer["params"]["message"])
