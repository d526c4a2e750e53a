from odoo import api, fields, models

# Decimal precision of dioptric powers (data/decimal_precision_data.xml).
POWER_DIGITS = "Optics Power"
POWER_STEPS = ("optics_sphere_step", "optics_cylinder_step", "optics_addition_step")


class ResCompany(models.Model):
    _inherit = "res.company"

    # Prescription ranges and steps (defaults from the optics domain brief).
    optics_sphere_min = fields.Float("Sphere Minimum", digits=(6, 3), default=-30.0)
    optics_sphere_max = fields.Float("Sphere Maximum", digits=(6, 3), default=30.0)
    optics_sphere_step = fields.Float("Sphere Step", digits=(6, 3), default=0.25)
    optics_cylinder_min = fields.Float("Cylinder Minimum", digits=(6, 3), default=-10.0)
    optics_cylinder_max = fields.Float("Cylinder Maximum", digits=(6, 3), default=10.0)
    optics_cylinder_step = fields.Float("Cylinder Step", digits=(6, 3), default=0.25)
    optics_addition_min = fields.Float("Addition Minimum", digits=(6, 3), default=0.5)
    optics_addition_max = fields.Float("Addition Maximum", digits=(6, 3), default=4.0)
    optics_addition_step = fields.Float("Addition Step", digits=(6, 3), default=0.25)
    optics_prism_min = fields.Float("Prism Minimum", digits=(6, 3), default=0.25)
    optics_prism_max = fields.Float("Prism Maximum", digits=(6, 3), default=10.0)
    optics_pd_mono_min = fields.Float("Monocular PD Minimum", digits=(6, 3), default=20.0)
    optics_pd_mono_max = fields.Float("Monocular PD Maximum", digits=(6, 3), default=40.0)
    optics_pd_binocular_min = fields.Float("Binocular PD Minimum", digits=(6, 3), default=45.0)
    optics_pd_binocular_max = fields.Float("Binocular PD Maximum", digits=(6, 3), default=80.0)
    optics_fitting_height_min = fields.Float("Fitting Height Minimum", digits=(6, 3), default=10.0)
    optics_fitting_height_max = fields.Float("Fitting Height Maximum", digits=(6, 3), default=30.0)
    optics_vertex_min = fields.Float("Vertex Distance Minimum", digits=(6, 3), default=5.0)
    optics_vertex_max = fields.Float("Vertex Distance Maximum", digits=(6, 3), default=25.0)
    optics_cl_base_curve_min = fields.Float(
        "Contact Lens Base Curve Minimum", digits=(6, 3), default=8.0
    )
    optics_cl_base_curve_max = fields.Float(
        "Contact Lens Base Curve Maximum", digits=(6, 3), default=9.5
    )
    optics_cl_diameter_min = fields.Float(
        "Contact Lens Diameter Minimum", digits=(6, 3), default=13.8
    )
    optics_cl_diameter_max = fields.Float(
        "Contact Lens Diameter Maximum", digits=(6, 3), default=14.5
    )
    optics_expiry_child_months = fields.Integer("Child Prescription Validity (months)", default=12)
    optics_expiry_adult_months = fields.Integer("Adult Prescription Validity (months)", default=24)
    optics_child_age_limit = fields.Integer(
        "Child Until Age", default=18, help="Customers younger than this get the child validity."
    )
    optics_tolerance_profile_id = fields.Many2one(
        "optics.tolerance.profile", "Default Tolerance Profile"
    )
    optics_ready_sms = fields.Boolean(
        "Text Customers When Glasses Are Ready",
        help="Calls the SMS hook of glasses jobs; it does nothing until a module "
        "or integration overrides _optics_send_ready_sms.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._optics_sync_power_digits()
        return companies

    def write(self, vals):
        result = super().write(vals)
        if any(name in vals for name in POWER_STEPS):
            self._optics_sync_power_digits()
        return result

    def _optics_sync_power_digits(self):
        """Powers show as many decimals as the finest step of any company needs: two for
        quarter dioptres (-2.25, never -2.250), three once a step is 0.125."""
        precision = self.env.ref("optics_core.decimal_precision_optics_power", False)
        if not precision:  # while the module's data loads
            return
        steps = self.sudo().search([]).read(list(POWER_STEPS))
        digits = 2
        for row in steps:
            for name in POWER_STEPS:
                if round(row[name] * 100, 6) != round(row[name] * 100):
                    digits = 3
        if precision.digits != digits:
            precision.sudo().digits = digits

    def _optics_limits(self):
        """Limits per checked value, in the shape optics_math.check_eye expects."""
        self.ensure_one()
        return {
            "sphere": (self.optics_sphere_min, self.optics_sphere_max, self.optics_sphere_step),
            "cylinder": (
                self.optics_cylinder_min,
                self.optics_cylinder_max,
                self.optics_cylinder_step,
            ),
            "addition": (
                self.optics_addition_min,
                self.optics_addition_max,
                self.optics_addition_step,
            ),
            "prism": (self.optics_prism_min, self.optics_prism_max),
            "pd_far": (self.optics_pd_mono_min, self.optics_pd_mono_max),
            "pd_near": (self.optics_pd_mono_min, self.optics_pd_mono_max),
            "fitting_height": (self.optics_fitting_height_min, self.optics_fitting_height_max),
            "cl_base_curve": (self.optics_cl_base_curve_min, self.optics_cl_base_curve_max),
            "cl_diameter": (self.optics_cl_diameter_min, self.optics_cl_diameter_max),
            "pd_binocular": (self.optics_pd_binocular_min, self.optics_pd_binocular_max),
            "vertex": (self.optics_vertex_min, self.optics_vertex_max),
        }
