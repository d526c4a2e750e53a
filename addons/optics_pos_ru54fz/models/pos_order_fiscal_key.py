from odoo import fields, models


class PosOrderFiscalKey(models.Model):
    """One key an order's receipt was sent under: a chain, each key a successor of the one
    before, issued only once the register confirmed its predecessor holds no document.

    Written by the fiscal machinery only (as superuser): no group may write it.
    """

    _name = "pos.order.fiscal.key"
    _description = "Fiscal Receipt Key"
    _order = "order_id, sequence"

    order_id = fields.Many2one(
        "pos.order", "POS Order", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True)
    sequence = fields.Integer(readonly=True, help="0: the order's own key; N: its N-th successor.")
    key = fields.Char(required=True, readonly=True)
    state = fields.Selection(
        [("current", "Current"), ("spent", "Spent: holds no document")],
        required=True,
        readonly=True,
    )
    reason = fields.Char(readonly=True, help="Why the register refused the receipt under this key.")
    spent_at = fields.Datetime(
        "Confirmed Empty",
        readonly=True,
        help="When the register confirmed this key holds no document.",
    )

    _sql_constraints = [
        ("key_unique", "UNIQUE(key)", "A fiscal key belongs to one order only."),
    ]
