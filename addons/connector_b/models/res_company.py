from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    catalogue_refuse_unsent = fields.Boolean(
        string="Refuse imports while receipts are unsent",
        default=True,
        help="Refuse supplier catalogue imports while the fiscal module still has "
        "receipts that are not fiscalized.",
    )
    catalogue_max_file_mb = fields.Integer(
        string="Largest import file (MB)",
        default=20,
        help="Supplier price lists larger than this are refused before they are read.",
    )
    catalogue_chunk_size = fields.Integer(
        string="Import chunk size (rows)",
        default=1000,
        help="Rows processed (and, in background runs, committed) together.",
    )
