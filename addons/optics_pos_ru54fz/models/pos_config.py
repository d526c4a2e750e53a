from odoo import fields, models


class PosConfig(models.Model):
    _inherit = "pos.config"

    fiscal_device_id = fields.Many2one(
        "fiscal.device",
        "Cash Register (KKT)",
        check_company=True,
        index="btree_not_null",
        help="Register that fiscalizes the orders of this point of sale.",
    )
    # Loaded by the till: a cloud register's sale needs the buyer's contact before payment.
    fiscal_backend = fields.Selection(related="fiscal_device_id.backend")
    fiscal_deposit_product_id = fields.Many2one(
        "product.product",
        "Deposit Product",
        check_company=True,
        help="Product sold as a deposit on a glasses job: its receipt is an advance; at pick-up "
        "a negative line of it sets the deposit off against the full-settlement receipt.",
    )

    def fiscal_status_for_ui(self):
        """Traffic light for the POS header, read from PostgreSQL only (cheap, any host):
        the device's figures as every screen counts them (fiscal.device._fiscal_figures)."""
        self.ensure_one()
        device = self.fiscal_device_id
        if not device:
            return {"level": "none"}
        figures = device._fiscal_figures()[device.id]
        red_after = self.env["pos.order"]._fiscal_param("status_red_after_seconds", 900)
        session = self.current_session_id
        shift_warning = bool(session and session.fiscal_shift_warning)
        paused = bool(device.paused_reason)  # the till says so; the reason is the admin's
        # The drain renewed the register's shift by itself during this session.
        renewed = device.shift_renewed_at
        shift_renewed = bool(session and renewed and renewed >= session.start_at)
        if figures["failed"] or paused or figures["oldest_age"] > red_after:
            level = "red"
        elif figures["waiting"] or shift_warning:
            level = "yellow"
        else:
            level = "green"
        return {
            "level": level,
            "shift_warning": shift_warning,
            "paused": paused,
            "shift_renewed": shift_renewed,
            **figures,
        }
