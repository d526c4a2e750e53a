from odoo import fields, models


class ConnectorBRunLine(models.Model):
    _name = "connector_b.run.line"
    _description = "Catalogue Import Row"
    _order = "run_id, row_number"

    run_id = fields.Many2one("connector_b.run", required=True, ondelete="cascade", index=True)
    row_number = fields.Integer(string="Row", readonly=True)
    action = fields.Selection(
        [
            ("create", "Create"),
            ("update", "Update"),
            ("pending", "Waits for confirmation"),
            ("unchanged", "Unchanged"),
            ("ignored", "Ignored"),
            ("reject", "Rejected"),
        ],
        readonly=True,
    )
    key = fields.Char(readonly=True)
    product_tmpl_id = fields.Many2one("product.template", string="Product", readonly=True)
    message = fields.Text(string="Details", readonly=True)
