from babel.numbers import format_decimal
from dateutil.relativedelta import relativedelta

from odoo import _, _lt, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import babel_locale_parse, get_lang

from ..optics_math import (
    check_eye,
    minus_cylinder_form,
    near_prescription,
    round_to_step,
    spherical_equivalent,
    to_decimal,
    transpose,
    vertex_compensate,
)
from .res_company import POWER_DIGITS

EYES = ("od", "os")
EYE_LABELS = {"od": _lt("Right eye (OD)"), "os": _lt("Left eye (OS)")}
VALUE_LABELS = {
    "sphere": _lt("sphere"),
    "cylinder": _lt("cylinder"),
    "axis": _lt("axis"),
    "addition": _lt("addition"),
    "prism": _lt("prism"),
    "prism_angle": _lt("prism base angle"),
    "pd_far": _lt("far PD"),
    "pd_near": _lt("near PD"),
    "fitting_height": _lt("fitting height"),
    "cl_base_curve": _lt("base curve"),
    "cl_diameter": _lt("contact lens diameter"),
    "pd_binocular": _lt("binocular PD"),
    "vertex": _lt("vertex distance"),
}
CHECKED_EYE_VALUES = (
    "sphere",
    "cylinder",
    "addition",
    "prism",
    "prism_angle",
    "pd_far",
    "pd_near",
    "fitting_height",
    "cl_base_curve",
    "cl_diameter",
)
PRISM_BASES = [
    ("in", "In"),
    ("out", "Out"),
    ("up", "Up"),
    ("down", "Down"),
    ("angle", "Angle"),
]
# Fields a confirmed, expired or cancelled prescription may still change.
STATE_FIELDS = {"state", "active"}


class OpticsPrescription(models.Model):
    _name = "optics.prescription"
    _description = "Optical Prescription"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char("Number", readonly=True, copy=False, default="/", index=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    prescriber = fields.Char(help="Doctor or optometrist who wrote the prescription.")
    prescriber_clinic = fields.Char("Clinic")
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    kind = fields.Selection(
        [
            ("distance", "Spectacles: Distance"),
            ("near", "Spectacles: Near"),
            ("progressive", "Spectacles: Progressive"),
            ("contact", "Contact Lenses"),
        ],
        required=True,
        default="distance",
        tracking=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("confirmed", "Confirmed"),
            ("expired", "Expired"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    expiry_date = fields.Date(
        compute="_compute_expiry_date",
        store=True,
        readonly=False,
        copy=False,
        tracking=True,
        help="Computed from the company's child and adult validity rules.",
    )
    previous_id = fields.Many2one(
        "optics.prescription",
        "Corrects",
        readonly=True,
        copy=False,
        index=True,
        help="The prescription this one replaces.",
    )
    corrected_by_ids = fields.One2many("optics.prescription", "previous_id", "Corrections")
    production_ids = fields.One2many("mrp.production", "optics_prescription_id", "Glasses Jobs")
    production_count = fields.Integer("Job Count", compute="_compute_production_count")
    note = fields.Text("Notes")

    # Right eye (OD)
    sphere_od = fields.Float("Sphere (OD)", digits=POWER_DIGITS, tracking=True)
    cylinder_od = fields.Float("Cylinder (OD)", digits=POWER_DIGITS, tracking=True)
    axis_od = fields.Integer(
        "Axis (OD)",
        tracking=True,
        help="Degrees 1..180 (TABO), required when the cylinder is not 0; write the "
        "horizontal meridian as 180. Empty or 0 means no axis.",
    )
    addition_od = fields.Float("Addition (OD)", digits=POWER_DIGITS)
    prism_od = fields.Float("Prism (OD)", digits=(6, 2), help="Prism dioptres.")
    prism_base_od = fields.Selection(PRISM_BASES, "Prism Base (OD)")
    prism_angle_od = fields.Integer(
        "Prism Base Angle (OD)", help="Degrees 0..360, used when the base is given as an angle."
    )
    pd_far_od = fields.Float(
        "Far PD (OD)", digits=(6, 1), help="Monocular distance pupillary distance, mm."
    )
    pd_near_od = fields.Float(
        "Near PD (OD)", digits=(6, 1), help="Monocular near pupillary distance, mm."
    )
    fitting_height_od = fields.Float(
        "Fitting Height (OD)", digits=(6, 1), help="Fitting or segment height, mm."
    )
    visual_acuity_od = fields.Float(
        "Visual Acuity (OD)", digits=(4, 2), help="Corrected visual acuity, decimal (1.0 = normal)."
    )
    cl_base_curve_od = fields.Float(
        "Base Curve (OD)", digits=(5, 2), help="Contact lens base curve, mm."
    )
    cl_diameter_od = fields.Float(
        "CL Diameter (OD)", digits=(5, 2), help="Contact lens diameter, mm."
    )
    # Left eye (OS)
    sphere_os = fields.Float("Sphere (OS)", digits=POWER_DIGITS, tracking=True)
    cylinder_os = fields.Float("Cylinder (OS)", digits=POWER_DIGITS, tracking=True)
    axis_os = fields.Integer(
        "Axis (OS)",
        tracking=True,
        help="Degrees 1..180 (TABO), required when the cylinder is not 0; write the "
        "horizontal meridian as 180. Empty or 0 means no axis.",
    )
    addition_os = fields.Float("Addition (OS)", digits=POWER_DIGITS)
    prism_os = fields.Float("Prism (OS)", digits=(6, 2), help="Prism dioptres.")
    prism_base_os = fields.Selection(PRISM_BASES, "Prism Base (OS)")
    prism_angle_os = fields.Integer(
        "Prism Base Angle (OS)", help="Degrees 0..360, used when the base is given as an angle."
    )
    pd_far_os = fields.Float(
        "Far PD (OS)", digits=(6, 1), help="Monocular distance pupillary distance, mm."
    )
    pd_near_os = fields.Float(
        "Near PD (OS)", digits=(6, 1), help="Monocular near pupillary distance, mm."
    )
    fitting_height_os = fields.Float(
        "Fitting Height (OS)", digits=(6, 1), help="Fitting or segment height, mm."
    )
    visual_acuity_os = fields.Float(
        "Visual Acuity (OS)", digits=(4, 2), help="Corrected visual acuity, decimal (1.0 = normal)."
    )
    cl_base_curve_os = fields.Float(
        "Base Curve (OS)", digits=(5, 2), help="Contact lens base curve, mm."
    )
    cl_diameter_os = fields.Float(
        "CL Diameter (OS)", digits=(5, 2), help="Contact lens diameter, mm."
    )

    # Both eyes
    pd_binocular = fields.Float("Binocular PD", digits=(6, 1), help="Distance PD, mm.")
    vertex_distance = fields.Float(digits=(6, 1), default=12.0, help="Back vertex distance, mm.")
    pantoscopic_tilt = fields.Float(digits=(5, 1), help="Degrees.")
    wrap_angle = fields.Float(digits=(5, 1), help="Face form angle, degrees.")

    # Computed forms
    transposed_sphere_od = fields.Float(
        "Transposed Sphere (OD)", digits=POWER_DIGITS, compute="_compute_forms"
    )
    transposed_cylinder_od = fields.Float(
        "Transposed Cylinder (OD)", digits=POWER_DIGITS, compute="_compute_forms"
    )
    transposed_axis_od = fields.Integer("Transposed Axis (OD)", compute="_compute_forms")
    spherical_equivalent_od = fields.Float(
        "Spherical Equivalent (OD)", digits=(6, 3), compute="_compute_forms"
    )
    near_sphere_od = fields.Float("Near Sphere (OD)", digits=POWER_DIGITS, compute="_compute_forms")
    transposed_sphere_os = fields.Float(
        "Transposed Sphere (OS)", digits=POWER_DIGITS, compute="_compute_forms"
    )
    transposed_cylinder_os = fields.Float(
        "Transposed Cylinder (OS)", digits=POWER_DIGITS, compute="_compute_forms"
    )
    transposed_axis_os = fields.Integer("Transposed Axis (OS)", compute="_compute_forms")
    spherical_equivalent_os = fields.Float(
        "Spherical Equivalent (OS)", digits=(6, 3), compute="_compute_forms"
    )
    near_sphere_os = fields.Float("Near Sphere (OS)", digits=POWER_DIGITS, compute="_compute_forms")
    cornea_sphere_od = fields.Float(
        "Sphere at Cornea (OD)",
        digits=(6, 2),
        compute="_compute_cornea_power",
        help="Vertex-compensated to the cornea (contact lens power), rounded to 0.25 D.",
    )
    cornea_cylinder_od = fields.Float(
        "Cylinder at Cornea (OD)", digits=(6, 2), compute="_compute_cornea_power"
    )
    cornea_sphere_os = fields.Float(
        "Sphere at Cornea (OS)",
        digits=(6, 2),
        compute="_compute_cornea_power",
        help="Vertex-compensated to the cornea (contact lens power), rounded to 0.25 D.",
    )
    cornea_cylinder_os = fields.Float(
        "Cylinder at Cornea (OS)", digits=(6, 2), compute="_compute_cornea_power"
    )

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "The prescription number must be unique per company.",
        ),
    ]

    @api.depends(
        *[f"{value}_{eye}" for eye in EYES for value in ("sphere", "cylinder", "axis", "addition")]
    )
    def _compute_forms(self):
        for rec in self:
            for eye in EYES:
                sphere, cylinder, axis = (
                    rec[f"sphere_{eye}"],
                    rec[f"cylinder_{eye}"],
                    rec[f"axis_{eye}"],
                )
                t_sphere, t_cylinder, t_axis = transpose(sphere, cylinder, axis)
                rec[f"transposed_sphere_{eye}"] = float(t_sphere)
                rec[f"transposed_cylinder_{eye}"] = float(t_cylinder)
                rec[f"transposed_axis_{eye}"] = t_axis
                rec[f"spherical_equivalent_{eye}"] = float(spherical_equivalent(sphere, cylinder))
                near_sphere = near_prescription(sphere, cylinder, axis, rec[f"addition_{eye}"])[0]
                rec[f"near_sphere_{eye}"] = float(near_sphere)

    @api.depends(
        *[f"{value}_{eye}" for eye in EYES for value in ("sphere", "cylinder")], "vertex_distance"
    )
    def _compute_cornea_power(self):
        """Spectacle power moved to the cornea, meridian by meridian (F / (1 - dF))."""
        for rec in self:
            for eye in EYES:
                sphere, cylinder, _axis = minus_cylinder_form(
                    rec[f"sphere_{eye}"], rec[f"cylinder_{eye}"], rec[f"axis_{eye}"]
                )
                cornea_sphere, cornea_cylinder = vertex_compensate(
                    sphere, cylinder, rec.vertex_distance, round_to_step
                )
                rec[f"cornea_sphere_{eye}"] = float(cornea_sphere)
                rec[f"cornea_cylinder_{eye}"] = float(cornea_cylinder)

    @api.depends("date", "partner_id.optics_birthdate", "company_id")
    def _compute_expiry_date(self):
        for rec in self:
            company = rec.company_id or self.env.company
            months = company.optics_expiry_adult_months
            birthdate = rec.partner_id.optics_birthdate
            if birthdate and rec.date:
                age = relativedelta(rec.date, birthdate).years
                if age < company.optics_child_age_limit:
                    months = company.optics_expiry_child_months
            rec.expiry_date = rec.date and rec.date + relativedelta(months=months)

    def _compute_production_count(self):
        for rec in self:
            rec.production_count = len(rec.production_ids)

    # Validation --------------------------------------------------------------

    def _prescription_errors(self):
        """Translated messages for every value out of range or step."""
        self.ensure_one()
        limits = self.company_id._optics_limits()
        messages = []
        for eye in EYES:
            values = {name: self[f"{name}_{eye}"] for name in CHECKED_EYE_VALUES}
            values["axis"] = self[f"axis_{eye}"] or None
            if self[f"prism_base_{eye}"] != "angle":
                values["prism_angle"] = None
            errors = check_eye(values, limits)
            messages += [self._error_message(EYE_LABELS[eye], error) for error in errors]
        for name, field in (("pd_binocular", "pd_binocular"), ("vertex", "vertex_distance")):
            low, high = limits[name]
            value = to_decimal(self[field])
            if value and not low <= self[field] <= high:
                messages.append(
                    self._error_message(
                        _("Both eyes"),
                        (name, "range", value, to_decimal(low), to_decimal(high), None),
                    )
                )
        return messages

    @api.model
    def _error_message(self, eye_label, error):
        field, kind, value, low, high, step = error

        locale = babel_locale_parse(get_lang(self.env).code)

        def plain(number):
            # Written as the user's language writes numbers: -0,25 in Russian, -0.25 in English.
            if number is None:
                return ""
            return format_decimal(number.normalize(), locale=locale, decimal_quantization=False)

        params = {
            # str() here: a lazy label picks its language from the calling frame
            "eye": str(eye_label),
            "field": str(VALUE_LABELS[field]),
            "value": plain(value),
            "low": plain(low),
            "high": plain(high),
            "step": plain(step),
        }
        if kind == "required":
            return _(
                "%(eye)s: the axis (1 to 180) is required when the cylinder is not 0.", **params
            )
        if kind == "step":
            return _("%(eye)s: %(field)s %(value)s is not a multiple of %(step)s.", **params)
        return _(
            "%(eye)s: %(field)s %(value)s is outside the allowed range %(low)s to %(high)s.",
            **params,
        )

    @api.constrains(
        *[f"{value}_{eye}" for eye in EYES for value in CHECKED_EYE_VALUES + ("axis", "prism_base")]
        + ["pd_binocular", "vertex_distance", "company_id"]
    )
    def _check_prescription_values(self):
        for rec in self:
            messages = rec._prescription_errors()
            if messages:
                raise ValidationError("\n".join(messages))

    # CRUD and states ---------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("optics.prescription") or "/"
        return super().create(vals_list)

    def write(self, vals):
        locked = self.filtered(lambda rec: rec.state != "draft")
        changed = {
            key
            for key in vals
            if key not in STATE_FIELDS and not key.startswith(("message_", "activity_"))
        }
        if locked and changed:
            raise UserError(
                _(
                    "Prescription %(name)s is no longer a draft and cannot be changed. "
                    "Use Correct to make a new prescription linked to it.",
                    name=locked[0].name,
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(rec.state != "draft" for rec in self):
            raise UserError(_("Only draft prescriptions can be deleted; cancel the others."))

    def action_confirm(self):
        for rec in self.filtered(lambda r: r.state == "draft"):
            # Records saved before a rule existed (or by SQL) are checked again here.
            messages = rec._prescription_errors()
            if messages:
                raise ValidationError("\n".join(messages))
            rec.state = "confirmed"
            previous = rec.previous_id.filtered(lambda p: p.state == "confirmed")
            if previous:
                previous.state = "cancelled"
                previous.message_post(body=_("Replaced by prescription %s.", rec.name))
        return True

    def action_cancel(self):
        self.write({"state": "cancelled"})
        return True

    def action_draft(self):
        """Only a cancelled prescription that was never used goes back to draft."""
        for rec in self:
            if rec.state != "cancelled" or rec.production_ids:
                raise UserError(
                    _(
                        "Only a cancelled prescription without glasses jobs can be "
                        "set back to draft."
                    )
                )
        self.write({"state": "draft"})
        return True

    def action_correct(self):
        """A confirmed prescription is never edited: copy it into a linked draft."""
        self.ensure_one()
        correction = self.copy({"previous_id": self.id, "date": fields.Date.context_today(self)})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": correction.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _cron_expire_prescriptions(self):
        today = fields.Date.context_today(self)
        expired = self.search([("state", "=", "confirmed"), ("expiry_date", "<", today)])
        expired.write({"state": "expired"})
        return expired

    # Lens search -------------------------------------------------------------

    def _lens_power(self, eye):
        """(sphere, cylinder, addition) of one eye in minus-cylinder form, as the
        lens ranges store them; a near prescription is searched as its near sphere."""
        self.ensure_one()
        sphere, cylinder, _axis = minus_cylinder_form(
            self[f"sphere_{eye}"], self[f"cylinder_{eye}"], self[f"axis_{eye}"]
        )
        addition = to_decimal(self[f"addition_{eye}"])
        if self.kind == "near":
            sphere, addition = sphere + addition, to_decimal(0)
        elif self.kind in ("distance", "contact"):
            addition = to_decimal(0)
        return sphere, cylinder, addition

    def _lens_kind(self):
        return "contact_lens" if self.kind == "contact" else "lens"

    def _lens_range_domain(self, eye, min_diameter=0):
        """Domain of the lens ranges that make this eye's power (one SQL query)."""
        self.ensure_one()
        sphere, cylinder, addition = self._lens_power(eye)
        return self.env["optics.lens.range"]._power_domain(
            sphere, cylinder, addition, self._lens_kind(), min_diameter
        ) + [("company_id", "in", [False, self.company_id.id])]

    def _matching_lens_ranges(self, eye, min_diameter=0):
        self.ensure_one()
        return self.env["optics.lens.range"].search_for_power(
            *self._lens_power(eye),
            optics_kind=self._lens_kind(),
            min_diameter=min_diameter,
            company=self.company_id,
        )

    def _action_lens_ranges(self, eye):
        return {
            "type": "ir.actions.act_window",
            "name": _("Lenses for %(eye)s", eye=str(EYE_LABELS[eye])),
            "res_model": "optics.lens.range",
            "view_mode": "tree,form",
            "domain": self._lens_range_domain(eye),
            "context": {"create": False},
        }

    def action_lenses_od(self):
        return self._action_lens_ranges("od")

    def action_lenses_os(self):
        return self._action_lens_ranges("os")

    def action_create_glasses_job(self):
        self.ensure_one()
        if self.state != "confirmed":
            raise UserError(_("Confirm the prescription before creating a glasses job."))
        return {
            "type": "ir.actions.act_window",
            "name": _("New Glasses Job"),
            "res_model": "optics.glasses.job.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_prescription_id": self.id},
        }

    def action_view_productions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Glasses Jobs"),
            "res_model": "mrp.production",
            "view_mode": "kanban,tree,form",
            "domain": [("optics_prescription_id", "=", self.id)],
            "context": {"create": False},
        }
