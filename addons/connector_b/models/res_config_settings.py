from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    catalogue_refuse_unsent = fields.Boolean(
        related="company_id.catalogue_refuse_unsent", readonly=False
    )
    catalogue_max_file_mb = fields.Integer(
        related="company_id.catalogue_max_file_mb", readonly=False
    )
    catalogue_chunk_size = fields.Integer(related="company_id.catalogue_chunk_size", readonly=False)
