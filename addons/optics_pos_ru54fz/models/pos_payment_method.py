from odoo import api, fields, models

# Payment type codes of the canonical receipt (tags 1031, 1081, 1215, 1216, 1217).
FISCAL_PAYMENT_CODES = {
    "cash": 0,
    "electronic": 1,
    "prepayment": 2,
    "credit": 3,
    "counter_provision": 4,
}


class PosPaymentMethod(models.Model):
    _inherit = "pos.payment.method"

    fiscal_payment_type = fields.Selection(
        [
            ("cash", "Cash"),
            ("electronic", "Electronic"),
            ("prepayment", "Prepayment set-off"),
            ("credit", "Credit"),
            ("counter_provision", "Counter-provision"),
        ],
        compute="_compute_fiscal_payment_type",
        store=True,
        readonly=False,
        help="How payments with this method appear on fiscal receipts.",
    )

    @api.depends("type")
    def _compute_fiscal_payment_type(self):
        by_type = {"cash": "cash", "bank": "electronic", "pay_later": "credit"}
        for method in self:
            method.fiscal_payment_type = by_type.get(method.type, "electronic")

    def _fiscal_kind(self):
        """The receipt's payment type; a method left blank pays electronically."""
        self.ensure_one()
        return self.fiscal_payment_type or "electronic"
