from decimal import ROUND_HALF_UP, Decimal

from odoo import api, fields, models, tools

from .ru_cash_store import to_decimal

MEASURE_FIELDS = ("revenue", "cost", "gross_profit")


def margin_percent(revenue, gross_profit):
    """Gross margin in % of revenue, rounded to 0.01 (Decimal); 0 without revenue."""
    revenue, gross_profit = to_decimal(revenue), to_decimal(gross_profit)
    if not revenue:
        return Decimal(0)
    return (gross_profit * 100 / revenue).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class RuGrossProfitReport(models.Model):
    """Gross profit of POS sales, one row per order line.

    Revenue is the line's price_subtotal (without VAT, after discount). Cost
    is pos.order.line.total_cost: Odoo 17 fills it from the stock valuation
    layers of the order's own pickings for FIFO/AVCO storable products (at
    the order, or at session closing when stock is updated at closing) and
    from the product cost otherwise: the real cost of what was sold, already
    stored per line, so the report needs no join to stock moves and stays a
    plain aggregate. Lines whose cost Odoo has not computed yet are marked.
    Both are converted to the company currency and rounded to the kopeck
    per line, as the accounting entries are.
    """

    _name = "ru.gross.profit.report"
    _description = "Gross Profit Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "order_id"
    # Pending ORM writes to these fields are flushed before the view is read.
    _depends = {
        "pos.order.line": [
            "order_id", "product_id", "qty", "price_subtotal", "total_cost",
            "is_total_cost_computed",
        ],
        "pos.order": [
            "date_order", "session_id", "config_id", "company_id", "user_id", "state",
            "currency_rate",
        ],
        "pos.config": ["ru_cash_store_id"],
        "product.product": ["product_tmpl_id"],
        "product.template": ["categ_id"],
        "res.company": ["currency_id"],
    }

    date = fields.Datetime(readonly=True)
    order_id = fields.Many2one("pos.order", readonly=True)
    session_id = fields.Many2one("pos.session", readonly=True)
    config_id = fields.Many2one("pos.config", string="Till", readonly=True)
    store_id = fields.Many2one("ru.cash.store", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    cashier_id = fields.Many2one("res.users", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    qty = fields.Float(string="Quantity", readonly=True)
    revenue = fields.Monetary(readonly=True)
    cost = fields.Monetary(string="Cost of Sales", readonly=True)
    gross_profit = fields.Monetary(readonly=True)
    margin_percent = fields.Float(string="Margin (%)", readonly=True, group_operator="avg")
    cost_computed = fields.Boolean(string="Cost Known", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            """
            CREATE OR REPLACE VIEW ru_gross_profit_report AS (
                SELECT line.id AS id,
                       o.date_order AS date,
                       o.id AS order_id,
                       o.session_id AS session_id,
                       o.config_id AS config_id,
                       config.ru_cash_store_id AS store_id,
                       o.company_id AS company_id,
                       company.currency_id AS currency_id,
                       o.user_id AS cashier_id,
                       line.product_id AS product_id,
                       tmpl.categ_id AS categ_id,
                       line.qty AS qty,
                       amounts.revenue AS revenue,
                       amounts.cost AS cost,
                       amounts.revenue - amounts.cost AS gross_profit,
                       CASE WHEN amounts.revenue <> 0
                            THEN ROUND(100 * (amounts.revenue - amounts.cost) / amounts.revenue, 2)
                            ELSE 0 END AS margin_percent,
                       COALESCE(line.is_total_cost_computed, FALSE) AS cost_computed
                  FROM pos_order_line line
                  JOIN pos_order o ON o.id = line.order_id
                  JOIN pos_config config ON config.id = o.config_id
                  JOIN res_company company ON company.id = o.company_id
                  JOIN product_product product ON product.id = line.product_id
                  JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
                 CROSS JOIN LATERAL (
                       SELECT ROUND(line.price_subtotal
                                    / COALESCE(NULLIF(o.currency_rate, 0), 1), 2) AS revenue,
                              ROUND(COALESCE(line.total_cost, 0)
                                    / COALESCE(NULLIF(o.currency_rate, 0), 1), 2) AS cost
                 ) amounts
                 WHERE o.state IN ('paid', 'done', 'invoiced')
            )
            """
        )

    @api.model
    def read_group(  # noqa: PLR0917 (the ORM signature)
        self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True
    ):
        """The margin of a group is its profit over its revenue, not an average of lines."""
        names = [spec.split(":")[0] for spec in fields]
        if "margin_percent" not in names:
            return super().read_group(domain, fields, groupby, offset, limit, orderby, lazy)
        fields = [spec for spec in fields if spec.split(":")[0] != "margin_percent"]
        fields += [name for name in ("revenue", "gross_profit") if name not in names]
        groups = super().read_group(domain, fields, groupby, offset, limit, orderby, lazy)
        for group in groups:
            group["margin_percent"] = float(
                margin_percent(group.get("revenue"), group.get("gross_profit"))
            )
        return groups
