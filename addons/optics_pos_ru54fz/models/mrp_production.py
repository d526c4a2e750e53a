from decimal import Decimal

from odoo import api, fields, models

from .pos_order_receipt import _money


class MrpProduction(models.Model):
    _inherit = "mrp.production"

    fiscal_pos_order_ids = fields.One2many(
        "pos.order", "optics_job_id", "POS Orders", groups="point_of_sale.group_pos_user"
    )
    fiscal_deposit_total = fields.Monetary(
        "Deposits Paid",
        compute="_compute_fiscal_deposit_total",
        compute_sudo=True,
        currency_field="fiscal_currency_id",
        help="Deposits taken at the till for this glasses job, less deposits already set off.",
    )
    fiscal_currency_id = fields.Many2one(related="company_id.currency_id", string="Fiscal Currency")

    @api.depends("fiscal_pos_order_ids.state", "fiscal_pos_order_ids.fiscal_deposit_amount")
    def _compute_fiscal_deposit_total(self):
        for job in self:
            job.fiscal_deposit_total = float(job._fiscal_deposits())

    def _fiscal_deposits(self, besides=None):
        """Deposits received towards the job, exact (Decimal), other than the orders `besides`.

        Only money received counts: a deposit order once its receipt is fiscalized (or sold
        on a till without a register), less every set-off and every refund of a deposit
        (linked to the job too), whatever their receipts' state.
        """
        self.ensure_one()
        paid = self.sudo().fiscal_pos_order_ids.filtered(
            lambda o: o.state in ("paid", "done", "invoiced")
        )
        if besides:
            paid -= besides
        total = Decimal(0)
        for order in paid:
            amount = _money(order.fiscal_deposit_amount)
            received = order.fiscal_state == "fiscalized" or not order.fiscal_key
            if amount < 0 or received:
                total += amount
        return total
