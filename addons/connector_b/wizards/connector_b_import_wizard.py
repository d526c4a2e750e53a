import base64
import binascii

from odoo import _, fields, models
from odoo.exceptions import UserError

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ConnectorBImportWizard(models.TransientModel):
    _name = "connector_b.import.wizard"
    _description = "Import a Supplier Price List"

    profile_id = fields.Many2one("connector_b.profile", required=True)
    # In the filestore, not a database column: escaping a large file into SQL takes
    # several copies of it in memory (a 5 MB price list: about 60 MB more).
    file = fields.Binary()
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
        if not encoded:
            raise UserError(_("The file is empty."))
        # The size is known from the base64 text, before decoding a huge upload.
        size = len(encoded) * 3 // 4
        Run = self.env["connector_b.run"].with_company(company)
        Run._check_size(size)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as error:
            raise UserError(_("The uploaded file could not be read.")) from error
        Run._check_fiscal_queue()
        run = Run.create({
            "profile_id": self.profile_id.id,
            "company_id": company.id,
            "skip_bad_rows": self.skip_bad_rows,
        })
        # The type is given, not guessed: guessing a damaged workbook logs warnings.
        file_format = self.profile_id.file_format
        Attachment = self.env["ir.attachment"].with_context(connector_b_no_index=True)
        run.attachment_id = Attachment.create({
            "name": self.file_name or "price-list.%s" % file_format,
            "raw": raw,
            "mimetype": XLSX_MIMETYPE if file_format == "xlsx" else "text/csv",
            "res_model": run._name,
            "res_id": run.id,
        })
        run._preview()
        return {
            "type": "ir.actions.act_window",
            "res_model": "connector_b.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }
