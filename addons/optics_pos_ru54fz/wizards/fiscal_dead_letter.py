from odoo import _, api, fields, models


class FiscalDeadLetter(models.TransientModel):
    """A paid order whose receipt failed, for a fiscal administrator to reissue.

    Read from PostgreSQL, so the list works on every host: the outbox, which holds the
    letters themselves, lives on the host that runs the crons.
    """

    _name = "fiscal.dead.letter"
    _description = "Fiscal Dead Letter"
    _order = "id"

    key = fields.Char("Fiscal Key", readonly=True)
    device_id = fields.Many2one("fiscal.device", "Cash Register", readonly=True)
    order_id = fields.Many2one("pos.order", "POS Order", readonly=True)
    last_error = fields.Text(readonly=True)

    @api.model
    def action_open(self, devices=None):
        """List the failed receipts of `devices` (default: all)."""
        self.env["fiscal.device"]._fiscal_check_admin()
        devices = devices or self.env["fiscal.device"].search([])
        orders = self.env["pos.order"].search(
            [("fiscal_device_id", "in", devices.ids), ("fiscal_state", "=", "failed")],
            order="id",
        )
        letters = self.create(
            [
                {
                    "key": order.fiscal_key,
                    "device_id": order.fiscal_device_id.id,
                    "order_id": order.id,
                    "last_error": order.fiscal_device_id._fiscal_mask(
                        order.fiscal_error_message or ""
                    ),
                }
                for order in orders
            ]
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Fiscal Dead Letters"),
            "res_model": self._name,
            "view_mode": "tree",
            "domain": [("id", "in", letters.ids)],
            "target": "current",
        }

    def action_reissue(self):
        """Ask for the letters' receipts to be reissued, as the order's own button does."""
        self.env["fiscal.device"]._fiscal_check_admin()
        self.order_id.action_fiscal_reissue()
        self.unlink()
        return {"type": "ir.actions.client", "tag": "reload"}
