from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .ru_cash_order import DOCUMENT_STATES


class RuCashTransfer(models.Model):
    """Cash handed from a store to another store or to the bank.

    Posting books a KO-2 in the source store (transfer account / cash) and
    either a KO-1 in the destination store (cash / transfer account) or a
    bank entry (bank / transfer account): the transfer account nets to zero.
    """

    _name = "ru.cash.transfer"
    _description = "Cash Transfer"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Number", default="/", readonly=True, copy=False)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        DOCUMENT_STATES,
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    destination_type = fields.Selection(
        [("store", "Another store"), ("bank", "Bank")],
        required=True,
        default="bank",
    )
    source_store_id = fields.Many2one(
        "ru.cash.store", string="From Store", required=True, check_company=True
    )
    destination_store_id = fields.Many2one(
        "ru.cash.store", string="To Store", check_company=True
    )
    bank_journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
    )
    amount = fields.Monetary(required=True, tracking=True)
    carrier = fields.Char(
        string="Handed To", help="Collector or employee who carries the cash."
    )
    out_order_id = fields.Many2one(
        "ru.cash.order", string="Outgoing Order", readonly=True, copy=False
    )
    in_order_id = fields.Many2one(
        "ru.cash.order", string="Incoming Order", readonly=True, copy=False
    )
    bank_move_id = fields.Many2one(
        "account.move", string="Bank Entry", readonly=True, copy=False
    )

    @api.constrains(
        "destination_type", "source_store_id", "destination_store_id", "bank_journal_id"
    )
    def _check_destination(self):
        for transfer in self:
            if transfer.destination_type == "store":
                if not transfer.destination_store_id:
                    raise ValidationError(_("Choose the store that receives the cash."))
                if transfer.destination_store_id == transfer.source_store_id:
                    raise ValidationError(_("A store cannot transfer cash to itself."))
            elif not transfer.bank_journal_id:
                raise ValidationError(_("Choose the bank journal that receives the cash."))

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(transfer.state == "posted" for transfer in self):
            raise UserError(_("A posted cash transfer cannot be deleted."))

    def _transfer_account(self):
        account = self.company_id._ru_cash_transfer_account()
        if not account:
            raise UserError(
                _("Set the cash transfer account in the Accounting settings first.")
            )
        return account

    def _cash_order_vals(self, order_type, store):
        return {
            "order_type": order_type,
            "source": "transfer",
            "store_id": store.id,
            "date": self.date,
            "amount": self.amount,
            "person": self.carrier,
            "basis": _("Cash transfer %s", self.name),
            "counterpart_account_id": self._transfer_account().id,
            "transfer_id": self.id,
        }

    def _prepare_bank_move_vals(self):
        bank_account = self.bank_journal_id.default_account_id
        transfer_account = self._transfer_account()
        label = _("Cash transfer %s", self.name)
        return {
            "move_type": "entry",
            "journal_id": self.bank_journal_id.id,
            "date": self.date,
            "ref": self.name,
            "line_ids": [
                fields.Command.create(
                    {"name": label, "account_id": bank_account.id, "debit": self.amount}
                ),
                fields.Command.create(
                    {"name": label, "account_id": transfer_account.id, "credit": self.amount}
                ),
            ],
        }

    def action_post(self):
        CashOrder = self.env["ru.cash.order"]
        for transfer in self:
            if transfer.state != "draft":
                raise UserError(_("Only a draft cash transfer can be posted."))
            if transfer.currency_id.compare_amounts(transfer.amount, 0) <= 0:
                raise UserError(_("The amount of a cash transfer must be positive."))
            transfer.name = self.env["ir.sequence"].next_by_code(
                "ru.cash.transfer", sequence_date=transfer.date
            )
            out_order = CashOrder.create(transfer._cash_order_vals("out", transfer.source_store_id))
            out_order.action_post()
            values = {"state": "posted", "out_order_id": out_order.id}
            if transfer.destination_type == "store":
                in_order = CashOrder.create(
                    transfer._cash_order_vals("in", transfer.destination_store_id)
                )
                in_order.action_post()
                values["in_order_id"] = in_order.id
            else:
                bank_move = self.env["account.move"].create(transfer._prepare_bank_move_vals())
                bank_move.action_post()
                values["bank_move_id"] = bank_move.id
            transfer.write(values)
        return True

    def action_cancel(self):
        if any(transfer.state != "draft" for transfer in self):
            raise UserError(_("Only a draft cash transfer can be cancelled."))
        self.state = "cancel"
