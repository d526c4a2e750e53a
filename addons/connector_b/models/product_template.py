from odoo import fields, models


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
            vals = {}
            if costs and currency.compare_amounts(min(costs), template.standard_price):
                vals["standard_price"] = min(costs)
            if retails and currency.compare_amounts(min(retails), template.list_price):
                vals["list_price"] = min(retails)
            if vals:
                template.write(vals)
