"""The receipt builder: a POS order translated into the fiscal core's canonical receipt.

The one place that maps the order's records (lines, taxes, payments, cashier, buyer, glasses
job) to the core's receipt dict; the till's check before payment and the cron's enqueue
both call `_fiscal_receipt()`, and the core validates what it returns.
"""

import re
from collections import defaultdict
from decimal import Decimal

import pytz
from fiscal_connector.errors import FiscalError
from fiscal_connector.receipt import (
    calculated_rate,
    format_money,
    format_quantity,
    price_lines,
    spread_adjustments,
)
from stdnum.ru import inn as ru_inn

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize, formatLang

from .pos_payment_method import FISCAL_PAYMENT_CODES
from .product_template import PAYMENT_OBJECT_CODES

KOPECK = Decimal("0.01")
QTY_STEP = Decimal("0.001")
INDIVIDUAL_INN_LENGTH = 12  # a person's INN; the cashier's (1203) is always one


def _money(value):
    """Odoo's float amount as exact kopecks."""
    return Decimal(repr(value)).quantize(KOPECK)


class PosOrder(models.Model):
    _inherit = "pos.order"

    def _fiscal_zone(self):
        """The register's zone: fiscal times are its wall-clock times."""
        device = (self.fiscal_device_id or self.config_id.fiscal_device_id).sudo()
        return pytz.timezone(device.tz or self.company_id.partner_id.tz or "UTC")

    def _fiscal_timestamp(self):
        moment = pytz.utc.localize(self.date_order).astimezone(self._fiscal_zone())
        return moment.replace(microsecond=0).isoformat()

    def _fiscal_cashier(self):
        """Tag 1021, and 1203 where the person has an individual's INN: the POS employee,
        else the order's user, else the session's; an order never lacks a cashier."""
        employee = self["employee_id"] if "employee_id" in self._fields else False
        if employee:
            name, partner = employee.name, employee.work_contact_id
        else:
            user = self.user_id or self.session_id.user_id
            name, partner = user.name, user.partner_id
        cashier = {"name": name or self.session_id.user_id.name}
        vat = (partner.vat or "").strip()
        if len(vat) == INDIVIDUAL_INN_LENGTH and ru_inn.is_valid(vat):
            cashier["inn"] = vat
        return cashier

    def _fiscal_client(self):
        """The customer's e-mail, else phone in +7... form, for the e-receipt (tag 1008);
        a company with a valid INN is also named with it (1227, 1228)."""
        partner = self.partner_id
        client = {}
        email = email_normalize(partner.email or "")
        digits = re.sub(r"\D", "", partner.mobile or partner.phone or "")
        if len(digits) == 10:
            digits = "7" + digits
        elif len(digits) == 11 and digits.startswith("8"):
            digits = "7" + digits[1:]
        if email:
            client["email"] = email
        elif 11 <= len(digits) <= 15:
            client["phone"] = "+" + digits
        buyer = partner.commercial_partner_id
        vat = (buyer.vat or "").strip()
        if buyer.is_company and ru_inn.is_valid(vat):
            client.update(name=buyer.name, inn=vat)
        return client or None

    def _fiscal_measures(self):
        """Tag 2108 per line: pieces for the Units category, "other" for anything else."""
        unit_category_id = self.env["ir.model.data"]._xmlid_to_res_id("uom.product_uom_categ_unit")
        # The product's unit is the line's (a related field, computed again for a new line).
        return {
            line: 0 if line.product_id.uom_id.category_id.id == unit_category_id else 255
            for line in self.lines
        }

    def _fiscal_is_adjustment(self, line):
        """A discount the till put on the whole order (pos_discount), or a loyalty, coupon
        or gift card reward (pos_loyalty): spread over the goods, not a return."""
        config = self.config_id
        order_discount = "discount_product_id" in config._fields and config.discount_product_id
        reward = "is_reward_line" in line._fields and line.is_reward_line
        return bool(reward or (order_discount and line.product_id == order_discount))

    def _fiscal_items(self, sign):
        """Receipt items and the deposit set off by this order (Decimal, positive).

        A receipt has positive items only: order discounts, rewards and cash rounding are
        spread over the goods per VAT rate (the core's spread_adjustments), so that every
        item's price x quantity = sum and the items add up to what was paid.
        """
        deposit_product = self.config_id.fiscal_deposit_product_id
        vat_mappings = self.env["fiscal.vat.mapping"]._for_company(self.company_id)
        vat_codes = {}  # lines mostly share their taxes: each set is mapped once

        def vat_code(taxes):
            if taxes not in vat_codes:
                vat_codes[taxes] = vat_mappings._vat_code_for_taxes(taxes)
            return vat_codes[taxes]

        goods, adjustments, setoff = [], [], Decimal(0)
        for line in self.lines:
            amount = _money(line.price_subtotal_incl) * sign
            quantity = Decimal(repr(line.qty)).quantize(QTY_STEP) * sign
            is_deposit = bool(deposit_product) and line.product_id == deposit_product
            if is_deposit and amount < 0:
                setoff -= amount
                continue
            # Without a fiscal position the mapped taxes are the line's own: not computed again
            # for every sale the till checks.
            taxes = line.tax_ids_after_fiscal_position if self.fiscal_position_id else line.tax_ids
            if amount < 0 and self._fiscal_is_adjustment(line):
                # A reward without tax reaches the goods of any rate.
                vat = vat_code(taxes) if taxes else None
                adjustments.append((amount, vat))
                continue
            if amount < 0 or quantity < 0:
                raise UserError(
                    _(
                        "Order %s mixes sales and returns: register the return as its own order.",
                        self.name,
                    )
                )
            if quantity:
                vat = vat_code(taxes)
                goods.append((line, amount, quantity, vat, is_deposit))
        paid = sum((_money(p.amount) * sign for p in self.payment_ids), Decimal(0))
        # Cash rounding: what was paid differs from the lines by the rounded kopecks.
        rounding = paid + setoff - sum(g[1] for g in goods) - sum(a[0] for a in adjustments)
        if rounding:
            adjustments.append((rounding, None))
        amounts = [g[1] for g in goods]
        if adjustments:
            targets = [i for i, g in enumerate(goods) if not g[4]]  # deposits keep their sum
            try:
                amounts = spread_adjustments(
                    [(g[1], g[3]) for g in goods],
                    [(amount, vat, targets) for amount, vat in adjustments],
                )
            except FiscalError as error:
                raise UserError(
                    _(
                        "Order %(order)s: its discounts cannot be spread over its goods "
                        "(%(reason)s).",
                        order=self.name,
                        reason=error,
                    )
                ) from error
        items, measures = [], self._fiscal_measures()
        for (line, _amount, quantity, vat, is_deposit), amount in zip(goods, amounts):
            common = {
                "name": (line.full_product_name or line.product_id.display_name)[:128],
                # An advance carries the calculated twin of its rate (22/122): the core's table.
                "vat": calculated_rate(vat) if is_deposit else vat,
                "payment_method": "advance" if is_deposit else "full_payment",
                "payment_object": PAYMENT_OBJECT_CODES[
                    "payment" if is_deposit else line.product_id.fiscal_payment_object or "goods"
                ],
                "measure": measures[line],
            }
            items += [
                {
                    **common,
                    "price": format_money(price),
                    "quantity": format_quantity(qty),
                    "sum": format_money(line_sum),
                }
                for price, qty, line_sum in price_lines(quantity, amount)
            ]
        return items, setoff

    def _fiscal_check_setoff(self, setoff):
        job = self.optics_job_id
        if not setoff:
            return
        if not job:
            raise UserError(
                _(
                    "Order %s sets off a deposit but names no glasses job: choose the job "
                    "whose deposit it sets off.",
                    self.name,
                )
            )
        available = job._fiscal_deposits(besides=self)
        if setoff > available:
            raise UserError(
                _(
                    "Order %(order)s sets off %(setoff)s but the glasses job %(job)s "
                    "has only %(paid)s of deposits.",
                    order=self.name,
                    setoff=formatLang(self.env, float(setoff), currency_obj=self.currency_id),
                    job=job.name,
                    paid=formatLang(self.env, float(available), currency_obj=self.currency_id),
                )
            )

    def _fiscal_payments(self, sign, setoff):
        by_type = defaultdict(Decimal)
        for payment in self.payment_ids:
            kind = payment.payment_method_id._fiscal_kind()
            by_type[FISCAL_PAYMENT_CODES[kind]] += _money(payment.amount) * sign
        if setoff:
            by_type[FISCAL_PAYMENT_CODES["prepayment"]] += setoff
        return [
            {"type": kind, "sum": str(total)} for kind, total in sorted(by_type.items()) if total
        ]

    @api.model
    def _fiscal_settlement(self, payments):
        """Tag 1214 of the goods: paid in full, or on the customer's account (credit
        transfer, 6) or partly so (partial payment and credit, 5)."""
        credit_code = FISCAL_PAYMENT_CODES["credit"]
        credit = sum((Decimal(p["sum"]) for p in payments if p["type"] == credit_code), Decimal(0))
        if not credit:
            return "full_payment"
        total = sum((Decimal(p["sum"]) for p in payments), Decimal(0))
        return "credit" if credit == total else "partial_payment"

    def _fiscal_receipt(self):
        """The order's FFD 1.2 receipt as the core's canonical dict, rebuilt identically."""
        self.ensure_one()
        # Before payment (the till's check) the order has no device or operation of its own yet.
        device = (self.fiscal_device_id or self.config_id.fiscal_device_id).sudo()
        operation = self.fiscal_operation or self._fiscal_operation_for_order()
        sign = -1 if operation == "sell_refund" else 1
        items, setoff = self._fiscal_items(sign)
        if not items:
            raise UserError(_("Order %s has no line to put on a fiscal receipt.", self.name))
        self._fiscal_check_setoff(setoff)
        payments = self._fiscal_payments(sign, setoff)
        settlement = self._fiscal_settlement(payments)
        for item in items:
            if item["payment_method"] == "full_payment":
                item["payment_method"] = settlement
        receipt = {
            "operation": operation,
            "timestamp": self._fiscal_timestamp(),
            "taxation": device.taxation,
            "company": {
                "inn": device.company_inn,
                "email": device.company_email or self.company_id.email or "",
                "payment_address": device.settlement_place or "",
                "location": device.settlement_address or "",
            },
            "cashier": self._fiscal_cashier(),
            "items": items,
            "payments": payments,
            "total": str(sum((Decimal(item["sum"]) for item in items), Decimal(0))),
        }
        client = self._fiscal_client()
        if client:
            receipt["client"] = client
        return receipt

    def _fiscal_hold_reason(self):
        """Why a return may not go to the register yet: a sale it refunds is not fiscalized.

        A return goes out only after its sale's document exists, whatever the sale's state
        (to send, queued, failed): in the outbox it would wait at its register's head, or
        die with its sale, and never be sent unlinked from it.
        """
        originals = self.lines.refunded_orderline_id.order_id.filtered(
            lambda o: o.fiscal_key and o.fiscal_state != "fiscalized"
        )
        if not originals:
            return False
        sale = originals.sorted("id")[0]
        state = dict(sale._fields["fiscal_state"]._description_selection(self.env))
        return _(
            "Held until the sale %(sale)s is fiscalized (its receipt: %(state)s).",
            sale=sale.name,
            state=state[sale.fiscal_state],
        )
