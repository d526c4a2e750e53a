from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    optics_sphere_min = fields.Float(related="company_id.optics_sphere_min", readonly=False)
    optics_sphere_max = fields.Float(related="company_id.optics_sphere_max", readonly=False)
    optics_sphere_step = fields.Float(related="company_id.optics_sphere_step", readonly=False)
    optics_cylinder_min = fields.Float(related="company_id.optics_cylinder_min", readonly=False)
    optics_cylinder_max = fields.Float(related="company_id.optics_cylinder_max", readonly=False)
    optics_cylinder_step = fields.Float(related="company_id.optics_cylinder_step", readonly=False)
    optics_addition_min = fields.Float(related="company_id.optics_addition_min", readonly=False)
    optics_addition_max = fields.Float(related="company_id.optics_addition_max", readonly=False)
    optics_addition_step = fields.Float(related="company_id.optics_addition_step", readonly=False)
    optics_prism_min = fields.Float(related="company_id.optics_prism_min", readonly=False)
    optics_prism_max = fields.Float(related="company_id.optics_prism_max", readonly=False)
    optics_pd_mono_min = fields.Float(related="company_id.optics_pd_mono_min", readonly=False)
    optics_pd_mono_max = fields.Float(related="company_id.optics_pd_mono_max", readonly=False)
    optics_pd_binocular_min = fields.Float(
        related="company_id.optics_pd_binocular_min", readonly=False
    )
    optics_pd_binocular_max = fields.Float(
        related="company_id.optics_pd_binocular_max", readonly=False
    )
    optics_fitting_height_min = fields.Float(
        related="company_id.optics_fitting_height_min", readonly=False
    )
    optics_fitting_height_max = fields.Float(
        related="company_id.optics_fitting_height_max", readonly=False
    )
    optics_vertex_min = fields.Float(related="company_id.optics_vertex_min", readonly=False)
    optics_vertex_max = fields.Float(related="company_id.optics_vertex_max", readonly=False)
    optics_cl_base_curve_min = fields.Float(
        related="company_id.optics_cl_base_curve_min", readonly=False
    )
    optics_cl_base_curve_max = fields.Float(
        related="company_id.optics_cl_base_curve_max", readonly=False
    )
    optics_cl_diameter_min = fields.Float(
        related="company_id.optics_cl_diameter_min", readonly=False
    )
    optics_cl_diameter_max = fields.Float(
        related="company_id.optics_cl_diameter_max", readonly=False
    )
    optics_expiry_child_months = fields.Integer(
        related="company_id.optics_expiry_child_months", readonly=False
    )
    optics_expiry_adult_months = fields.Integer(
        related="company_id.optics_expiry_adult_months", readonly=False
    )
    optics_child_age_limit = fields.Integer(
        related="company_id.optics_child_age_limit", readonly=False
    )
    optics_tolerance_profile_id = fields.Many2one(
        related="company_id.optics_tolerance_profile_id", readonly=False
    )
    optics_ready_sms = fields.Boolean(related="company_id.optics_ready_sms", readonly=False)
