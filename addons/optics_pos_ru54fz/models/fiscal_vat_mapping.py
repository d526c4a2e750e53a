from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import float_compare

VAT_CODES = [
    ("none", "Exempt from VAT"),
    ("vat0", "VAT 0%"),
    ("vat5", "VAT 5%"),
    ("vat7", "VAT 7%"),
    ("vat10", "VAT 10%"),
    ("vat20", "VAT 20%"),
    ("vat22", "VAT 22%"),
    ("vat105", "VAT 5/105"),
    ("vat107", "VAT 7/107"),
    ("vat110", "VAT 10/110"),
    ("vat120", "VAT 20/120"),
    ("vat122", "VAT 22/122"),
]


class FiscalVatMapping(models.Model):
    """Which VAT rate code (tag 1199) a receipt line gets from the taxes of its product.

    A tax listed on a mapping uses it; any other percent tax uses the mapping
    whose rate equals the tax's percentage (when that mapping matches by rate);
    a line without VAT taxes uses the exempt mapping.
    """

    _name = "fiscal.vat.mapping"
    _description = "Tax to Fiscal VAT Mapping"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    vat_code = fields.Selection(VAT_CODES, "Fiscal VAT Rate", required=True)
    rate = fields.Float("Rate (%)", digits=(5, 2), help="Percentage this fiscal rate stands for.")
    match_by_rate = fields.Boolean(
        default=True,
        help="Use this mapping for any percent tax of the same rate not listed elsewhere.",
    )
    tax_ids = fields.Many2many(
        "account.tax",
        string="Taxes",
        domain=[("type_tax_use", "in", ("sale", "none"))],
        help="Taxes that always map to this rate, whatever their percentage.",
    )
    company_id = fields.Many2one("res.company", help="Leave empty to use it in every company.")

    @api.constrains("tax_ids", "active")
    def _check_tax_mapped_once(self):
        for mapping in self.filtered("active"):
            others = self.search([("id", "!=", mapping.id), ("tax_ids", "in", mapping.tax_ids.ids)])
            if others:
                raise ValidationError(
                    _(
                        "The tax %(tax)s is already mapped by %(mapping)s.",
                        tax=(others.tax_ids & mapping.tax_ids)[:1].display_name,
                        mapping=others[0].name,
                    )
                )

    @api.model
    def _for_company(self, company):
        return self.browse(self._ids_for_company(company.id))

    @api.model
    @tools.ormcache("company_id")
    def _ids_for_company(self, company_id):
        # Read for every sale at the till: cached, cleared whenever a mapping changes.
        domain = ["|", ("company_id", "=", False), ("company_id", "=", company_id)]
        return tuple(self.sudo().search(domain).ids)

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    def _vat_code_for_taxes(self, taxes):
        """VAT code of one receipt line's taxes among these mappings; ValidationError when
        a tax is unmapped or the line would carry two rates."""
        mappings = self
        codes = set()
        for tax in taxes.flatten_taxes_hierarchy():
            listed = mappings.filtered(lambda m, t=tax: t in m.tax_ids)
            if not listed and tax.amount_type == "percent":
                listed = mappings.filtered(
                    lambda m, t=tax: (
                        m.match_by_rate and float_compare(m.rate, t.amount, precision_digits=2) == 0
                    )
                )
            if not listed:
                raise ValidationError(
                    _(
                        "The tax %(tax)s has no fiscal VAT rate: "
                        "add it to a Tax to Fiscal VAT mapping.",
                        tax=tax.display_name,
                    )
                )
            codes.add(listed[0].vat_code)
        if not codes:
            exempt = mappings.filtered(lambda m: m.vat_code == "none")
            return exempt[0].vat_code if exempt else "none"
        if len(codes) > 1:
            raise ValidationError(
                _(
                    "A receipt line cannot carry two VAT rates (%(codes)s).",
                    codes=", ".join(sorted(codes)),
                )
            )
        return codes.pop()
