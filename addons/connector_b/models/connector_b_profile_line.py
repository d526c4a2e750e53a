from odoo import fields, models

# target: (kind of value, where it goes, field name there)
TARGETS = {
    "name": ("text", "template", "name"),
    "default_code": ("text", "template", "default_code"),
    "barcode": ("barcode", "template", "barcode"),
    "uom": ("text", "template", "uom_id"),
    "optics_kind": ("choice", "template", "optics_kind"),
    "lens_design": ("choice", "template", "lens_design"),
    "lens_index": ("decimal", "template", "lens_index"),
    "lens_material": ("choice", "template", "lens_material"),
    "frame_a": ("decimal", "template", "frame_a"),
    "frame_b": ("decimal", "template", "frame_b"),
    "frame_dbl": ("decimal", "template", "frame_dbl"),
    "frame_ed": ("decimal", "template", "frame_ed"),
    "frame_temple_length": ("decimal", "template", "frame_temple_length"),
    "frame_type": ("choice", "template", "frame_type"),
    "frame_material": ("choice", "template", "frame_material"),
    "sphere_range": ("range", "range", ("sphere_min", "sphere_max")),
    "cylinder_range": ("range", "range", ("cylinder_min", "cylinder_max")),
    "addition_range": ("range", "range", ("addition_min", "addition_max")),
    "diameter": ("integer", "range", "diameter"),
    "supply": ("choice", "range", "supply"),
    "supplier_code": ("text", "seller", "product_code"),
    "supplier_product_name": ("text", "seller", "product_name"),
    "purchase_price": ("decimal", "seller", "price"),
    "retail_price": ("decimal", "seller", "catalogue_retail_price"),
    "currency": ("text", "seller", "currency_id"),
    "min_qty": ("decimal", "seller", "min_qty"),
    "lead_time": ("integer", "seller", "delay"),
    "vat": ("vat", "seller", "catalogue_vat"),
    "supplier_stock": ("stock", "seller", "catalogue_stock"),
}


class ConnectorBProfileLine(models.Model):
    _name = "connector_b.profile.line"
    _description = "Catalogue Import Column"
    _order = "profile_id, sequence, id"

    profile_id = fields.Many2one("connector_b.profile", required=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    column_name = fields.Char(
        string="Column Header",
        help="Header of the column in the supplier's file (case and spaces ignored). "
        "Leave empty to give every row the default value.",
    )
    target = fields.Selection(
        [
            ("name", "Product name"),
            ("default_code", "Internal reference"),
            ("barcode", "EAN-13 barcode"),
            ("uom", "Unit of measure"),
            ("optics_kind", "Optical product kind"),
            ("lens_design", "Lens design"),
            ("lens_index", "Lens index"),
            ("lens_material", "Lens material"),
            ("frame_a", "Frame A (mm)"),
            ("frame_b", "Frame B (mm)"),
            ("frame_dbl", "Frame DBL (mm)"),
            ("frame_ed", "Frame ED (mm)"),
            ("frame_temple_length", "Temple length (mm)"),
            ("frame_type", "Frame type"),
            ("frame_material", "Frame material"),
            ("sphere_range", "Sphere range"),
            ("cylinder_range", "Cylinder range"),
            ("addition_range", "Addition range"),
            ("diameter", "Lens diameter (mm)"),
            ("supply", "Lens supply"),
            ("supplier_code", "Supplier product code"),
            ("supplier_product_name", "Supplier product name"),
            ("purchase_price", "Purchase price"),
            ("retail_price", "Recommended retail price"),
            ("currency", "Currency"),
            ("min_qty", "Minimum quantity"),
            ("lead_time", "Lead time (days)"),
            ("vat", "VAT rate"),
            ("supplier_stock", "Supplier stock"),
        ],
        string="Field",
        required=True,
    )
    value_map = fields.Text(
        string="Value Translations",
        help="One 'file value = value' per line, applied before conversion, e.g. "
        "'прогрессивная = progressive' or 'шт = 1'.",
    )
    default_value = fields.Char(help="Used when the cell is empty (or the column is not set).")
    required = fields.Boolean(help="Reject rows where this cell is empty.")

    _sql_constraints = [
        (
            "target_unique",
            "unique(profile_id, target)",
            "Each field can be filled from one column only.",
        ),
    ]
