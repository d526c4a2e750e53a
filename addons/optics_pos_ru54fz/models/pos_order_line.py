from odoo import api, models


class PosOrderLine(models.Model):
    _inherit = "pos.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        # After create Odoo keeps a many2many in its cache only when it is not empty: the
        # till's receipt check would then query the taxes of every untaxed line it has just
        # written. A new line's taxes are those it was created with, so an uncached one
        # has none.
        taxes = self._fields["tax_ids"]
        for line in lines:
            if not self.env.cache.contains(line, taxes):
                self.env.cache.set(line, taxes, ())
        return lines
