import shutil
import tempfile
import uuid

from fiscal_connector.emulators import EmulatorServer

from odoo.tools import config

from odoo.addons.point_of_sale.tests.common import TestPoSCommon


class FiscalEmulatorMixin:
    """A real ATOL emulator on loopback and a private outbox file, fresh for every test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fiscal_tmp = tempfile.mkdtemp(prefix="optics_pos_ru54fz-")
        cls.addClassCleanup(shutil.rmtree, cls.fiscal_tmp, True)
        saved = {name: config.get(name) for name in ("fiscal_outbox_path", "fiscal_redis_url")}
        cls.addClassCleanup(config.options.update, saved)

    def start_fiscal_emulator(self, kind="atol_web", **options):
        """Start the emulated register; point the devices and the outbox at this test's files."""
        folder = tempfile.mkdtemp(dir=self.fiscal_tmp)
        self.emulator = EmulatorServer(kind, f"{folder}/emulator", **options).start()
        self.addCleanup(self.emulator.stop)
        config["fiscal_outbox_path"] = f"{folder}/outbox/{{db}}.sqlite3"
        self.env["fiscal.device"].search([]).write({"backend": kind, "url": self.emulator.url})
        with self.env["fiscal.device"]._fiscal_connector():
            pass  # the cron host's outbox, as its first run leaves it

    def ruble_rounding(self):
        """Cash rounding to the ruble, half up, as a store that takes no kopecks in cash."""
        company = self.env.company
        return self.env["account.cash.rounding"].create(
            {
                "name": "To the ruble",
                "rounding": 1.0,
                "strategy": "add_invoice_line",
                "profit_account_id": company.default_cash_difference_income_account_id.id,
                "loss_account_id": company.default_cash_difference_expense_account_id.id,
                "rounding_method": "HALF-UP",
            }
        )

    @classmethod
    def set_fiscal_params(cls, **params):
        set_param = cls.env["ir.config_parameter"].sudo().set_param
        for name, value in params.items():
            set_param(f"optics_pos_ru54fz.{name}", value)

    @classmethod
    def create_fiscal_device(cls, **values):
        return cls.env["fiscal.device"].create(
            {
                "name": f"KKT {uuid.uuid4().hex[:6]}",
                "backend": "atol_web",
                "url": "http://127.0.0.1:16732",
                "company_inn": "5544332219",
                "company_email": "shop@example.com",
                "taxation": "osn",
                "settlement_address": "Moscow, Tverskaya 1",
                "settlement_place": "Optics store 1",
                "timeout": 3.0,
                **values,
            }
        )

    def run_fiscal_cron(self):
        self.env["pos.order"]._cron_fiscal_drain()
        self.env.invalidate_all()

    def emulator_documents(self):
        return self.emulator.report()["documents"]


class FiscalPosCase(FiscalEmulatorMixin, TestPoSCommon):
    """A POS config wired to an emulated register, taxes of 22% and 10%, and exempt goods."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Fast retries: the emulator is on loopback and an outage is simulated, not waited for.
        cls.set_fiscal_params(
            backoff_base=0.01,
            backoff_cap=0.05,
            breaker_reset_timeout=0.2,
            breaker_fail_max=3,
            drain_seconds=3,
            # One transaction, no till beside it: a run waiting for new sales would wait for none.
            idle_seconds=0,
        )
        cls.device = cls.create_fiscal_device()
        cls.config = cls.basic_config
        cls.config.fiscal_device_id = cls.device
        Tax = cls.env["account.tax"]
        cls.tax22 = Tax.create(
            {"name": "VAT 22% incl", "amount": 22, "price_include": True, "type_tax_use": "sale"}
        )
        cls.tax10 = Tax.create(
            {"name": "VAT 10% incl", "amount": 10, "price_include": True, "type_tax_use": "sale"}
        )
        cls.frame = cls.create_product(
            "Frame Ray-Ban RB5154", cls.categ_basic, 12000.0, tax_ids=cls.tax22.ids
        )
        cls.lens = cls.create_product("Lens 1.6 AR", cls.categ_basic, 4500.0, tax_ids=cls.tax10.ids)
        cls.eye_test = cls.create_product("Eye test", cls.categ_basic, 1500.0)
        cls.eye_test.write({"type": "service"})
        cls.customer.write({"email": "buyer@example.com"})
        cls.deposit_product = cls.env["product.product"].create(
            {
                "name": "Deposit for glasses",
                "type": "service",
                "available_in_pos": True,
                "lst_price": 0.0,
                "taxes_id": [(6, 0, cls.tax22.ids)],
            }
        )
        cls.config.fiscal_deposit_product_id = cls.deposit_product

    fiscal_backend = "atol_web"

    def setUp(self):
        super().setUp()
        self.start_fiscal_emulator(self.fiscal_backend)
        self.open_new_session()

    def ui_order(self, lines, payments=None, customer=False, token=True):
        data = self.create_ui_order_data(lines, customer=customer, payments=payments)
        if token:
            data["data"]["access_token"] = str(uuid.uuid4())
        return data

    def sell(self, *order_data):
        result = self.env["pos.order"].create_from_ui(list(order_data))
        return self.env["pos.order"].browse([row["id"] for row in result])

    def pickup_with_set_off(self, job):
        """A frame of 12,000 picked up: 7,000 paid now and 5,000 of deposit set off."""
        pickup_data = self.ui_order(
            [(self.frame, 1), {"product": self.deposit_product, "quantity": -1}],
            payments=[(self.bank_pm1, 7000.0)],
            customer=self.customer,
        )
        setoff = pickup_data["data"]["lines"][1][2]
        setoff.update(price_unit=5000.0, price_subtotal=-4098.36, price_subtotal_incl=-5000.0)
        pickup_data["data"].update(amount_total=7000.0, amount_paid=7000.0, optics_job_id=job.id)
        return pickup_data

    def sell_deposit(self, job, amount=5000.0):
        """A deposit of `amount` (22 % VAT) taken for the job, paid in cash."""
        data = self.ui_order(
            [{"product": self.deposit_product, "quantity": 1}],
            payments=[(self.cash_pm1, 0.0)],
            customer=self.customer,
        )
        untaxed = round(amount / 1.22, 2)
        data["data"]["lines"][0][2].update(
            price_unit=amount, price_subtotal=untaxed, price_subtotal_incl=amount
        )
        data["data"].update(
            amount_total=amount,
            amount_paid=amount,
            amount_tax=round(amount - untaxed, 2),
            optics_job_id=job.id,
        )
        data["data"]["statement_ids"][0][2]["amount"] = amount
        (deposit,) = self.sell(data)
        return deposit

    def glasses_job(self, **values):
        return self.env["mrp.production"].create(
            {
                "product_id": self.frame.id,
                "product_qty": 1,
                "optics_partner_id": self.customer.id,
                **values,
            }
        )
