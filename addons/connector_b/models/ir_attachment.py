from odoo import api, models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _compute_mimetype(self, values):
        # An upload waiting in the import wizard is read as its profile says; guessing
        # its type only logs warnings when a workbook is damaged.
        if values.get("res_model") == "connector_b.import.wizard":
            return "application/octet-stream"
        return super()._compute_mimetype(values)

    @api.model
    def _index(self, bin_data, file_type, checksum=None):
        # A price list is found through its import run, never by its words; indexing
        # the words of a 100,000-row file costs tens of megabytes for nothing.
        if self.env.context.get("connector_b_no_index"):
            return False
        return super()._index(bin_data, file_type, checksum=checksum)
