from odoo import api, fields, models


class OpticsVcaCode(models.Model):
    """Maps product attributes to the codes of the Vision Council VCA/DCS format.

    Kept as data so a lab with its own code table can be served without code changes.
    """

    _name = "optics.vca.code"
    _description = "VCA Code Mapping"
    _order = "label, value"

    label = fields.Selection(
        [
            ("FTYP", "FTYP: Frame Type"),
            ("ETYP", "ETYP: Edge Type"),
            ("LTYP", "LTYP: Lens Type"),
        ],
        "VCA Label",
        required=True,
    )
    value = fields.Char(
        "Odoo Value",
        required=True,
        help="Technical value of the product field: frame material, frame type or lens design.",
    )
    code = fields.Char("VCA Code", required=True)

    _sql_constraints = [
        ("label_value_uniq", "unique(label, value)", "Each value has one code per VCA label."),
    ]

    @api.model
    def _code(self, label, value):
        record = self.search([("label", "=", label), ("value", "=", value)], limit=1)
        return record.code or ""
