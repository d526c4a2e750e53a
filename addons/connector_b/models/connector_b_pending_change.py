from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

APPROVER_GROUPS = ("account.group_account_manager", "optics_core.group_optics_manager")


class ConnectorBPendingChange(models.Model):
    _name = "connector_b.pending.change"
    _description = "Catalogue Change Waiting for Confirmation"
    _order = "id desc"

    run_id = fields.Many2one("connector_b.run", string="Import Run", ondelete="cascade",
                             readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True,
                                 default=lambda self: self.env.company)
    product_tmpl_id = fields.Many2one("product.template", string="Product", required=True,
                                      ondelete="cascade", readonly=True)
    supplierinfo_id = fields.Many2one("product.supplierinfo", string="Supplier Line",
                                      required=True, ondelete="cascade", readonly=True)
    partner_id = fields.Many2one(related="supplierinfo_id.partner_id", string="Supplier")
    change_field = fields.Selection(
        [
            ("price", "Purchase price"),
            ("catalogue_retail_price", "Retail price"),
            ("catalogue_vat", "VAT rate"),
        ],
        string="Change",
        required=True,
        readonly=True,
    )
    old_value = fields.Char(readonly=True)
    new_value = fields.Char(readonly=True)
    change_percent = fields.Float(string="Change (%)", digits=(16, 2), readonly=True)
    state = fields.Selection(
        [
            ("pending", "Waiting"),
            ("approved", "Approved"),
            ("refused", "Refused"),
            ("superseded", "Superseded"),
        ],
        default="pending",
        required=True,
        readonly=True,
    )
    decided_by = fields.Many2one("res.users", readonly=True)
    decided_on = fields.Datetime(readonly=True)

    def _check_approver(self):
        if not any(self.env.user.has_group(group) for group in APPROVER_GROUPS):
            raise AccessError(_("Only accounting managers and optics managers can confirm or "
                                "refuse price and VAT changes."))
        if any(change.state != "pending" for change in self):
            raise UserError(_("This change has already been decided."))

    def action_approve(self):
        self._check_approver()
        for change in self:
            value = change.new_value
            if change.change_field != "catalogue_vat":
                value = float(value)
            change.supplierinfo_id.sudo().write({change.change_field: value})
        self._decide("approved")
        self.product_tmpl_id.sudo()._catalogue_apply_lowest_prices()
        return True

    def action_refuse(self):
        self._check_approver()
        self._decide("refused")
        return True

    def _decide(self, state):
        self.sudo().write({"state": state, "decided_by": self.env.user.id,
                           "decided_on": fields.Datetime.now()})
