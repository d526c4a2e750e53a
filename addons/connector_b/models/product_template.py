from odoo import api, fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def _catalogue_apply_lowest_prices(self):
        """The same product from several suppliers costs (and sells at) the lowest offer.

        Each supplier's own prices stay on its ``product.supplierinfo``; the
        product's cost is the lowest purchase price and its sales price the
        lowest recommended retail price, both in the company currency.
        """
        company = self.env.company
        currency = company.currency_id
        today = fields.Date.context_today(self)
        new_costs = {}
        for template in self:
            costs, retails = [], []
            for seller in template.seller_ids:
                if seller.company_id and seller.company_id != company:
                    continue
                seller_currency = seller.currency_id or currency
                if seller.price > 0:
                    costs.append(seller_currency._convert(seller.price, currency, company, today))
                if seller.catalogue_retail_price > 0:
                    retails.append(seller_currency._convert(
                        seller.catalogue_retail_price, currency, company, today))
            if retails and currency.compare_amounts(min(retails), template.list_price):
                template.write({"list_price": min(retails)})
            if (costs and template.product_variant_count == 1
                    and currency.compare_amounts(min(costs), template.standard_price)):
                new_costs[template.product_variant_id.id] = min(costs)
        self._catalogue_set_costs(new_costs)

    @api.model
    def _catalogue_set_costs(self, costs):
        """Set costs ({variant id: cost}) of many products at once.

        Products with stock in valuation go through Odoo's write, which books
        the revaluation; for the others (most of a price list, and every new
        product) there is nothing to revalue, so their costs are stored in one
        batch of company properties instead of one inverse per product.
        """
        variants = self.env["product.product"].browse(list(costs))
        revalued = self._catalogue_in_valuation(variants)
        for variant in revalued:
            variant.write({"standard_price": costs[variant.id]})
        quiet = {variant.id: costs[variant.id] for variant in variants - revalued}
        self.env["ir.property"].sudo()._set_multi("standard_price", "product.product", quiet)
        (variants - revalued).invalidate_recordset(["standard_price"])
        self.browse(variants.product_tmpl_id.ids).invalidate_recordset(["standard_price"])

    @api.model
    def _catalogue_in_valuation(self, variants):
        """The variants with stock in this company's valuation, in one grouped query.

        Reading ``quantity_svl`` instead would also compute every product's
        on-hand quantities, which costs more than the import itself.
        """
        if "stock.valuation.layer" not in self.env or not variants:
            return variants.browse()
        groups = self.env["stock.valuation.layer"].sudo()._read_group(
            [("product_id", "in", variants.ids), ("company_id", "=", self.env.company.id)],
            ["product_id"],
            having=[("quantity:sum", ">", 0)],
        )
        return variants.browse([product.id for (product,) in groups])
