from fiscal_connector.errors import FiscalError

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class FiscalDeadLetter(models.TransientModel):
    """One outbox entry out of attempts, for a fiscal administrator to retry."""

    _name = "fiscal.dead.letter"
    _description = "Fiscal Dead Letter"
    _order = "id"

    key = fields.Char("Fiscal Key", readonly=True)
    device_id = fields.Many2one("fiscal.device", "Cash Register", readonly=True)
    order_id = fields.Many2one("pos.order", "POS Order", readonly=True)
    attempts = fields.Integer(readonly=True)
    last_error = fields.Text(readonly=True)

    @api.model
    def action_open(self, devices=None):
        """Read the dead letters of `devices` (default: all) from the outbox and list them."""
        self.env["fiscal.device"]._fiscal_check_admin()
        devices = devices or self.env["fiscal.device"].search([])
        by_code = {device._fiscal_code(): device for device in devices}
        with self.env["fiscal.device"]._fiscal_connector(devices) as conn:
            entries = [e for e in conn.dead_letters() if e.get("device") in by_code]
        orders = self.env["pos.order"].search([("fiscal_key", "in", [e["key"] for e in entries])])
        order_by_key = {order.fiscal_key: order.id for order in orders}
        letters = self.create(
            [
                {
                    "key": entry["key"],
                    "device_id": by_code[entry["device"]].id,
                    "order_id": order_by_key.get(entry["key"], False),
                    "attempts": entry.get("attempts") or 0,
                    "last_error": by_code[entry["device"]]._fiscal_mask(
                        entry.get("last_error") or ""
                    ),
                }
                for entry in entries
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
        """Reissue the letters: those of an order as a request the cron carries out, like the
        order's own button; one no order accounts for, here."""
        self.env["fiscal.device"]._fiscal_check_admin()
        orphans = self.filtered(lambda letter: not letter.order_id)
        if orphans:
            with self.env["fiscal.device"]._fiscal_connector(orphans.device_id) as conn:
                for letter in orphans:
                    try:
                        conn.reissue(letter.key)
                    except FiscalError as error:
                        raise UserError(
                            _(
                                "Dead letter %(key)s not reissued: %(error)s",
                                key=letter.key,
                                error=error,
                            )
                        ) from error
        self.order_id.action_fiscal_reissue()
        self.unlink()
        return {"type": "ir.actions.client", "tag": "reload"}
