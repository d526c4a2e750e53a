from odoo import fields, models


class ProductSupplierinfo(models.Model):
    _inherit = "product.supplierinfo"

    catalogue_vat = fields.Char(
        string="Supplier VAT",
        help="VAT rate in percent from the supplier's price list, or 'none' for goods "
        "sold without VAT.",
    )
    catalogue_retail_price = fields.Float(
        string="Supplier Retail Price",
        digits="Product Price",
        help="Retail price the supplier recommends; the product's sales price is the "
        "lowest of these among its suppliers.",
    )
    catalogue_stock = fields.Float(
        string="Supplier Stock",
        digits="Product Unit of Measure",
        help="Quantity the supplier reports as available (words and negative numbers "
        "are converted when imported).",
    )
