from odoo import _, api, fields, models

from ..optics_math import to_decimal


class OpticsLensRange(models.Model):
    """A block of powers a lens product is made in (minus-cylinder form).

    A full sphere x cylinder grid does not fit product variants, so a lens
    product lists the ranges it exists in, each with its supply and lead time.
    """

    _name = "optics.lens.range"
    _description = "Lens Power Range"
    _order = "product_tmpl_id, supply, sphere_min"
    # Fastest first: what an optician wants to offer.
    _power_search_order = "lead_time_days, diameter desc, id"

    product_tmpl_id = fields.Many2one(
        "product.template", "Lens", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="product_tmpl_id.company_id", store=True, index=True)
    active = fields.Boolean(related="product_tmpl_id.active", store=True)
    optics_kind = fields.Selection(related="product_tmpl_id.optics_kind", store=True)
    lens_design = fields.Selection(related="product_tmpl_id.lens_design", store=True)
    lens_index = fields.Float(related="product_tmpl_id.lens_index")
    sphere_min = fields.Float("Sphere From", required=True, index=True)
    sphere_max = fields.Float("Sphere To", required=True, index=True)
    cylinder_min = fields.Float(
        "Cylinder From",
        required=True,
        default=-2.0,
        help="Minus-cylinder form: the most negative cylinder.",
    )
    cylinder_max = fields.Float("Cylinder To", required=True, default=0.0)
    addition_min = fields.Float("Addition From", default=0.0)
    addition_max = fields.Float("Addition To", default=0.0)
    diameter = fields.Integer("Diameter (mm)", required=True, default=65, index=True)
    supply = fields.Selection(
        [("stock", "From Stock"), ("lab", "Lab Surfaced")], required=True, default="stock"
    )
    lead_time_days = fields.Integer("Lead Time (days)", default=0)

    _sql_constraints = [
        (
            "sphere_order",
            "CHECK(sphere_min <= sphere_max)",
            "The sphere range must start below its end.",
        ),
        (
            "cylinder_order",
            "CHECK(cylinder_min <= cylinder_max AND cylinder_max <= 0)",
            "Cylinder ranges are in minus-cylinder form: from <= to <= 0.",
        ),
        (
            "addition_order",
            "CHECK(addition_min <= addition_max)",
            "The addition range must start below its end.",
        ),
        ("diameter_positive", "CHECK(diameter > 0)", "The diameter must be positive."),
        ("lead_time_positive", "CHECK(lead_time_days >= 0)", "The lead time cannot be negative."),
    ]

    def init(self):
        # Rare (high) powers match few ranges: the power index finds them.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS optics_lens_range_power_idx ON optics_lens_range "
            "(optics_kind, sphere_min, sphere_max, cylinder_min, addition_min, addition_max)"
        )
        # Common powers match most ranges: walking the result order lets a page
        # (list view, dropdown) stop after its first rows instead of sorting all.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS optics_lens_range_order_idx ON optics_lens_range "
            "(lead_time_days, diameter DESC, id)"
        )

    @api.depends(
        "product_tmpl_id",
        "sphere_min",
        "sphere_max",
        "cylinder_min",
        "diameter",
        "supply",
        "lead_time_days",
    )
    def _compute_display_name(self):
        """What the optician picks from: lens, powers, blank, and how soon it comes."""
        for rec in self:
            rec.display_name = _(
                "%(lens)s [%(sphere_min)+.2f..%(sphere_max)+.2f / %(cylinder)+.2f,"
                " %(diameter)s mm, %(lead)s d]",
                lens=rec.product_tmpl_id.display_name,
                sphere_min=rec.sphere_min,
                sphere_max=rec.sphere_max,
                cylinder=rec.cylinder_min,
                diameter=rec.diameter,
                lead=rec.lead_time_days,
            )

    @api.model
    def _power_domain(self, sphere, cylinder, addition, optics_kind="lens", min_diameter=0):
        """One flat domain (a single indexed SQL query) for ranges covering a power."""
        sphere, cylinder, addition = (float(to_decimal(v)) for v in (sphere, cylinder, addition))
        domain = [
            ("optics_kind", "=", optics_kind),
            ("active", "=", True),
            ("sphere_min", "<=", sphere),
            ("sphere_max", ">=", sphere),
            ("cylinder_min", "<=", cylinder),
            ("cylinder_max", ">=", cylinder),
            ("addition_min", "<=", addition),
            ("addition_max", ">=", addition),
        ]
        if min_diameter:
            domain.append(("diameter", ">=", float(min_diameter)))
        return domain

    @api.model
    def search_for_power(
        self,
        sphere,
        cylinder,
        addition=0,
        *,
        optics_kind="lens",
        min_diameter=0,
        company=None,
        limit=None,
    ):
        """Ranges (so lens, diameter, supply, lead time) that make this power.

        Cylinder in minus form; the fastest (lowest lead time) first.
        """
        domain = self._power_domain(sphere, cylinder, addition, optics_kind, min_diameter)
        if company:
            domain.append(("company_id", "in", [False, company.id]))
        return self.search(domain, order=self._power_search_order, limit=limit)
