import base64
import binascii

from odoo import _, fields, models
from odoo.exceptions import UserError


class ConnectorBImportWizard(models.TransientModel):
    _name = "connector_b.import.wizard"
    _description = "Import a Supplier Price List"

    profile_id = fields.Many2one("connector_b.profile", required=True)
    file = fields.Binary(required=True)
    file_name = fields.Char()
    skip_bad_rows = fields.Boolean(
        help="Write the good rows and report the bad ones. By default one bad row stops "
        "the whole import and nothing is written.",
    )

    def action_preview(self):
        """Check the file and show what the import would do; nothing is written yet."""
        self.ensure_one()
        company = self.profile_id.company_id
        encoded = self.file or b""
        # The size is known from the base64 text, before decoding a huge upload.
        size = len(encoded) * 3 // 4
        Run = self.env["connector_b.run"].with_company(company)
        Run._check_size(size)
        try:
            base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as error:
            raise UserError(_("The uploaded file could not be read.")) from error
        Run._check_fiscal_queue()
        run = Run.create({
            "profile_id": self.profile_id.id,
            "company_id": company.id,
            "file": encoded,
            "file_name": self.file_name,
            "skip_bad_rows": self.skip_bad_rows,
        })
        run._preview()
        return {
            "type": "ir.actions.act_window",
            "res_model": "connector_b.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }
