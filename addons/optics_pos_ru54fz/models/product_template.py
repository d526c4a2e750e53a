from odoo import api, fields, models

# Payment subject (tag 1212) codes of the selection values.
PAYMENT_OBJECT_CODES = {"goods": 1, "work": 3, "service": 4, "payment": 10}


class ProductTemplate(models.Model):
    _inherit = "product.template"

    fiscal_payment_object = fields.Selection(
        [("goods", "Goods"), ("work", "Work"), ("service", "Service"), ("payment", "Payment")],
        "Fiscal Payment Subject",
        compute="_compute_fiscal_payment_object",
        store=True,
        readonly=False,
        help="Payment subject (tag 1212) printed on fiscal receipts: goods for stock items, "
        "service for eye tests, work for fitting and repairs.",
    )

    @api.depends("detailed_type")
    def _compute_fiscal_payment_object(self):
        for template in self:
            template.fiscal_payment_object = (
                "service" if template.detailed_type == "service" else "goods"
            )
