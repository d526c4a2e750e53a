"""Plans and applies one catalogue import run, chunk by chunk.

``catalogue_parser`` turns cells into values; this module matches rows to
products, decides what each row does (create, update, leave, reject, wait for
a manager) and writes it.  A dry pass and a writing pass share the same
planning code, so the preview shows exactly what the run will do.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from odoo import _, _lt, fields
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_repr

from . import catalogue_parser as parser
from .models.connector_b_profile_line import TARGETS

KEY_TARGETS = {"supplier_code": "supplier_code", "barcode": "barcode",
               "default_code": "default_code"}
PRICE_TARGETS = ("purchase_price", "retail_price")
ROW_ACTIONS = ("create", "update", "unchanged", "ignored", "reject", "pending")
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True,
         "mail_create_nosubscribe": True}


@dataclass
class RowPlan:
    row: int
    values: dict
    errors: list = field(default_factory=list)
    key: str = ""
    action: str = ""
    template: object = None
    seller: object = None
    template_vals: dict = field(default_factory=dict)
    seller_vals: dict = field(default_factory=dict)
    range_vals: dict = field(default_factory=dict)
    range_record: object = None
    pending: list = field(default_factory=list)
    changes: list = field(default_factory=list)


# Messages of ``catalogue_parser.ParseError`` codes, translated when shown.
PARSE_ERRORS = {
    "binary_file": _lt("The file is not a text (CSV) file. Is it an XLSX workbook? "
                   "Check the profile's file format."),
    "unknown_encoding": _lt("The file's text encoding is not UTF-8 or Windows-1251. "
                   "Save it as UTF-8 or Windows-1251 CSV."),
    "bad_encoding": _lt("Line %(row)s of the file cannot be read as %(encoding)s "
                   "text. Choose the file's real encoding in the profile."),
    "bad_csv": _lt("Row %(row)s is not valid CSV: %(detail)s"),
    "bad_xlsx": _lt("The file is not a readable XLSX workbook (damaged or cut "
                   "short): %(detail)s"),
    "bad_xlsx_row": _lt("The workbook is damaged at row %(row)s: %(detail)s"),
    "no_sheet": _lt("The workbook has no sheet named %(sheet)s (it has: %(sheets)s)."),
    "empty_file": _lt("The file is empty."),
    "bad_rows": _lt("The first data row must come after the header row."),
    "no_header": _lt("Row %(row)s, where the profile expects the column headers, "
                   "is empty or missing."),
    "missing_columns": _lt("Columns missing from the file: %(columns)s. The file's "
                   "columns are: %(header)s."),
    "required": _lt("the cell is empty"),
    "empty_number": _lt("the cell is empty"),
    "bad_number": _lt("%(value)r is not a number"),
    "bad_integer": _lt("%(value)r is not a whole number"),
    "bad_vat": _lt("%(value)r is not a VAT rate"),
    "bad_vat_rate": _lt("VAT %(value)r is not one of the allowed rates (%(rates)s)"),
    "bad_stock": _lt("%(value)r is neither a quantity nor a known stock word"),
    "bad_ean": _lt("%(value)r is not a valid EAN-13 barcode (wrong length or "
                   "check digit)"),
    "bad_range": _lt("%(value)r is not a range like -8.00...+6.00"),
    "bad_choice": _lt("%(value)r is not one of: %(choices)s"),
}


class CatalogueImport:
    """One pass over a run's file; ``apply`` decides whether anything is written."""

    def __init__(self, run):
        # Company-dependent values (costs) belong to the run's company, also in a cron.
        run = run.with_company(run.company_id)
        self.run = run
        self.profile = run.profile_id
        self.env = run.env
        self.company = run.company_id
        self.templates = self.env["product.template"].sudo().with_context(
            **QUIET, active_test=False)
        self.sellers = self.env["product.supplierinfo"].sudo().with_context(**QUIET)
        self.variants = self.env["product.product"].sudo().with_context(
            **QUIET, active_test=False)
        self.options = self.profile._parser_options()
        self.key_target = KEY_TARGETS[self.profile.match_key]
        self.columns = self._columns()
        self.labels = dict(self.env["connector_b.profile.line"]._fields["target"]
                           ._description_selection(self.env))
        self.seen_keys = {}
        self.seen_barcodes = {}
        self.currencies = {}
        self.rates = {}
        self.uoms = {}
        self.counts = Counter()
        self.rejected_lines = []

    @property
    def rows_seen(self):
        """Rows planned so far: each gets exactly one action."""
        return sum(self.counts[action] for action in ROW_ACTIONS)

    def error_message(self, error):
        """The sentence for a ``catalogue_parser.ParseError``, in the user's language."""
        message = PARSE_ERRORS.get(error.code)
        # str() here, where ``self.env`` tells the lazy translation the language.
        return str(message) % error.params if message else error.code

    # ------------------------------------------------------------ setup

    def _columns(self):
        columns = []
        for line in self.profile.line_ids:
            kind, destination, name = TARGETS[line.target]
            model = self._model_of(destination)
            columns.append(parser.Column(
                target=line.target, kind=kind, header=(line.column_name or "").strip(),
                value_map=parser.parse_word_map(line.value_map),
                default=line.default_value or "",
                required=line.required or line.target == self.key_target,
                choices=self._choices(model, name) if kind == "choice" else {},
            ))
        if self.key_target not in {column.target for column in columns}:
            keys = dict(self.profile._fields["match_key"]._description_selection(self.env))
            raise UserError(_("The profile matches products by %(key)s but has no column "
                              "for it.", key=keys[self.profile.match_key]))
        return columns

    def _model_of(self, destination):
        return {"template": self.templates, "seller": self.sellers,
                "range": self.env["optics.lens.range"]}[destination]

    def _choices(self, model, name):
        """Selection keys and their labels (English and the user's language)."""
        choices = {}
        for lang in {"en_US", self.env.lang or "en_US"}:
            selection = model.with_context(lang=lang)._fields[name]._description_selection(
                model.with_context(lang=lang).env)
            for key, label in selection:
                choices[key.lower()] = key
                choices[parser.fold(label)] = key
        return choices

    def table(self):
        data = self.run.attachment_id.raw or b""
        try:
            table = parser.read_table(data, **self.profile._read_options())
            parser.bind_columns(table.header, self.columns)
        except parser.ParseError as error:
            raise UserError(self.error_message(error)) from error
        return table

    # ------------------------------------------------------------ passes

    def chunks(self, size, start_row=0):
        """Rows of the file in lists of ``size``; file errors become UserError."""
        table = self.table()
        chunk = []
        try:
            for number, values in table.rows:
                if number < start_row:
                    self._remember_key(number, values)
                    continue
                chunk.append((number, values))
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
        except parser.ParseError as error:
            raise UserError(self.error_message(error)) from error
        if chunk:
            yield chunk

    def _remember_key(self, number, values):
        """Rows already written by an interrupted run still count for duplicate keys."""
        values_by_target, __ = parser.convert_row(
            values, [c for c in self.columns if c.target == self.key_target], self.options)
        key = values_by_target.get(self.key_target)
        if key:
            self.seen_keys.setdefault(key, number)

    def plan(self, rows):
        plans = [self._convert(number, values) for number, values in rows]
        valid = [plan for plan in plans if not plan.errors]
        self._match(valid)
        self._check_barcodes(valid)
        for plan in valid:
            if not plan.errors:
                self._decide(plan)
        for plan in plans:
            if plan.errors:
                plan.action = "reject"
            self.counts[plan.action] += 1
            if plan.pending:
                self.counts["pending_changes"] += len(plan.pending)
        return plans

    def apply(self, plans):
        """Write the plans of one chunk, then the lowest-price rule on what changed."""
        creates = [plan for plan in plans if plan.action == "create"]
        if creates:
            # A new product has no attributes: it is created as its one variant, which
            # creates its template. Created as templates, Odoo (product, point_of_sale)
            # would then look up each template's variants one template at a time.
            # Odoo computes a new record's defaults one record at a time, some with a
            # query each; they are the same for the whole chunk, so they come in once.
            defaults = self.variants._add_missing_default_values({})
            variants = self.variants.create(
                [{**defaults, **self._create_vals(plan)} for plan in creates])
            costs = {}
            for plan, variant in zip(creates, variants):
                plan.template = variant.product_tmpl_id
                if plan.seller_vals.get("price"):
                    costs[variant.id] = self._company_amount(
                        plan.seller_vals["price"], plan.seller_vals["currency_id"])
            self.templates._catalogue_set_costs(costs)
        touched_ids = []
        pending_vals = []
        for plan in plans:
            if plan.action not in ("update", "pending"):
                continue
            if plan.template_vals:
                plan.template.write(plan.template_vals)
            if plan.seller:
                if plan.seller_vals:
                    plan.seller.write(plan.seller_vals)
            elif plan.seller_vals:
                plan.seller = self.sellers.create(
                    {**plan.seller_vals, "partner_id": self.profile.partner_id.id,
                     "product_tmpl_id": plan.template.id, "company_id": self.company.id})
            if plan.range_vals:
                if plan.range_record:
                    plan.range_record.write(plan.range_vals)
                else:
                    plan.template.write({"lens_range_ids": [(0, 0, plan.range_vals)]})
            for target, old, new, percent in plan.pending:
                pending_vals.append({
                    "run_id": self.run.id, "company_id": self.company.id,
                    "product_tmpl_id": plan.template.id, "supplierinfo_id": plan.seller.id,
                    "change_field": target, "old_value": old, "new_value": new,
                    "change_percent": percent,
                })
            touched_ids.append(plan.template.id)
        if pending_vals:
            Pending = self.env["connector_b.pending.change"].sudo()
            # A newer price from the same supplier replaces a request still waiting.
            for vals in pending_vals:
                Pending.search([("supplierinfo_id", "=", vals["supplierinfo_id"]),
                                ("change_field", "=", vals["change_field"]),
                                ("state", "=", "pending")]).write({"state": "superseded"})
            Pending.create(pending_vals)
        self.templates.browse(touched_ids)._catalogue_apply_lowest_prices()

    def line_vals(self, plans, actions):
        """Report lines of a chunk; rejected ones are also kept to outlive a rollback."""
        lines = [{
            "run_id": self.run.id,
            "row_number": plan.row,
            "action": plan.action,
            "key": plan.key or "",
            "product_tmpl_id": plan.template.id if plan.template else False,
            "message": self._summary(plan),
        } for plan in plans if plan.action in actions]
        self.rejected_lines += [line for line in lines if line["action"] == "reject"]
        return lines

    # ----------------------------------------------------------- planning

    def _convert(self, number, values):
        converted, errors = parser.convert_row(values, self.columns, self.options)
        plan = RowPlan(row=number, values=converted)
        plan.errors = ["%s: %s" % (self.labels.get(target, target), self.error_message(error))
                       for target, error in errors]
        plan.key = str(converted.get(self.key_target) or "")
        if plan.key:
            first = self.seen_keys.setdefault(plan.key, number)
            if first != number:
                plan.errors.append(_("the key %(key)s is repeated (first in row %(row)s)",
                                     key=plan.key, row=first))
        barcode = converted.get("barcode")
        if barcode and self.key_target != "barcode":
            first = self.seen_barcodes.setdefault(barcode, number)
            if first != number:
                plan.errors.append(_("the barcode %(barcode)s is repeated (first in row "
                                     "%(row)s)", barcode=barcode, row=first))
        return plan

    def _match(self, plans):
        """Find each row's product (and this supplier's line on it) in a few queries."""
        keys = [plan.key for plan in plans]
        partner = self.profile.partner_id
        seller_domain = [("partner_id", "=", partner.id),
                         ("company_id", "in", (False, self.company.id))]
        by_key = {}
        if self.key_target == "supplier_code":
            for seller in self.sellers.search(seller_domain + [("product_code", "in", keys)],
                                              order="sequence, min_qty, id"):
                by_key.setdefault(seller.product_code, (seller.product_tmpl_id, seller))
        else:
            field_name = self.key_target
            for variant in self.variants.search([(field_name, "in", keys)], order="id"):
                by_key.setdefault(variant[field_name], (variant.product_tmpl_id, None))
            templates = self.templates.browse({t.id for t, __ in by_key.values()})
            sellers = {}
            for seller in self.sellers.search(
                    seller_domain + [("product_tmpl_id", "in", templates.ids)],
                    order="sequence, min_qty, id"):
                sellers.setdefault(seller.product_tmpl_id.id, seller)
            by_key = {key: (template, sellers.get(template.id))
                      for key, (template, __) in by_key.items()}
        for plan in plans:
            plan.template, plan.seller = by_key.get(plan.key, (None, None))

    def _check_barcodes(self, plans):
        """A barcode already carried by another product would break Odoo's uniqueness."""
        wanted = {plan.values["barcode"]: plan for plan in plans if plan.values.get("barcode")}
        if not wanted or self.key_target == "barcode":
            return
        for variant in self.variants.search([("barcode", "in", list(wanted))]):
            plan = wanted[variant.barcode]
            if variant.product_tmpl_id != plan.template:
                plan.errors.append(_("the barcode %(barcode)s already belongs to %(product)s",
                                     barcode=variant.barcode, product=variant.display_name))

    def _decide(self, plan):
        try:
            self._split_values(plan)
        except UserError as error:
            plan.errors.append(str(error.args[0]))
            return
        if not plan.template:
            if not self.profile.allow_create:
                plan.action = "ignored"
            elif not plan.values.get("name"):
                plan.errors.append(_("a new product needs a name"))
            else:
                plan.action = "create"
            return
        if not self.profile.allow_update:
            plan.action = "ignored"
            return
        uom_id = plan.template_vals.get("uom_id")
        if uom_id and uom_id != plan.template.uom_id.id:
            plan.errors.append(_(
                "the unit %(new)s differs from the product's unit %(old)s; imports do not "
                "change the unit of an existing product",
                new=self.env["uom.uom"].browse(uom_id).name, old=plan.template.uom_id.name))
            return
        self._diff(plan)
        if plan.changes:
            plan.action = "update"
        elif plan.pending:
            plan.action = "pending"
        else:
            plan.action = "unchanged"

    def _split_values(self, plan):
        """Row values -> values of the template, the supplier line and the lens range."""
        values = plan.values
        vat = values.get("vat") or self._default_vat()
        if vat:
            values["vat"] = vat
        currency = self._currency(values.get("currency"))
        values["currency"] = currency.id
        if "uom" in values:
            values["uom"] = self._uom(values["uom"]).id
        for target in PRICE_TARGETS:
            if target in values:
                values[target] = self._gross(values[target], vat, currency)
        for target, value in values.items():
            __, destination, name = TARGETS[target]
            if destination == "template":
                plan.template_vals[name] = value
            elif destination == "seller":
                plan.seller_vals[name] = value
            elif isinstance(name, tuple):
                plan.range_vals[name[0]], plan.range_vals[name[1]] = value
            else:
                plan.range_vals[name] = value
        for vals in (plan.template_vals, plan.seller_vals, plan.range_vals):
            for name, value in vals.items():
                if isinstance(value, Decimal):
                    vals[name] = float(value)

    def _default_vat(self):
        if not self.profile.default_vat:
            return ""
        return parser.parse_vat(self.profile.default_vat, self.options.exempt_words,
                                self.options.allowed_rates)

    def _gross(self, price, vat, currency):
        """Prices are kept with VAT, so offers of different suppliers compare fairly."""
        if not self.profile.prices_include_vat and vat and vat != "none":
            price = price * (1 + Decimal(vat) / 100)
        step = Decimal(1).scaleb(-currency.decimal_places)
        return price.quantize(step, rounding=ROUND_HALF_UP)

    def _currency(self, name):
        if not name:
            return self.profile.currency_id or self.company.currency_id
        code = name.strip().rstrip(".").upper()
        if code not in self.currencies:
            currencies = self.env["res.currency"].with_context(active_test=False)
            self.currencies[code] = currencies.search(
                ["|", ("name", "=ilike", code), ("symbol", "=ilike", name.strip())], limit=1)
        if not self.currencies[code]:
            raise UserError(_("unknown currency %(currency)s", currency=name))
        return self.currencies[code]

    def _diff(self, plan):
        template, seller = plan.template, plan.seller
        plan.template_vals = self._changed(plan, template, plan.template_vals)
        if seller:
            plan.seller_vals = self._changed(plan, seller, plan.seller_vals)
            self._hold_for_confirmation(plan)
        else:
            plan.changes.append(_("new supplier line"))
        if plan.range_vals:
            ranges = template.lens_range_ids
            if "diameter" in plan.range_vals:
                ranges = ranges.filtered(lambda r: r.diameter == plan.range_vals["diameter"])
            plan.range_record = ranges[:1]
            if plan.range_record:
                plan.range_vals = self._changed(plan, plan.range_record, plan.range_vals)
            else:
                plan.changes.append(_("new lens range"))

    def _changed(self, plan, record, vals):
        """The values that differ from the record; their old -> new go to the summary."""
        changed = {}
        for name, value in vals.items():
            if self._differs(record, name, value):
                changed[name] = value
                old = record[name]
                old = old.display_name if hasattr(old, "display_name") else old
                plan.changes.append("%s: %s -> %s" % (
                    record._fields[name]._description_string(record.env), old or "", value))
        return changed

    def _uom(self, name):
        """A unit of measure by its name (in the user's language or in English)."""
        if name not in self.uoms:
            Uom = self.env["uom.uom"]
            found = Uom.search([("name", "=ilike", name)], limit=1)
            if not found and self.env.lang != "en_US":
                found = Uom.with_context(lang="en_US").search([("name", "=ilike", name)],
                                                              limit=1)
            self.uoms[name] = found
        if not self.uoms[name]:
            raise UserError(_("unknown unit of measure %(unit)s (translate it in the "
                              "column's value translations)", unit=name))
        return self.uoms[name]

    def _company_amount(self, amount, currency_id):
        """A supplier's price in the company currency (today's rate, fetched once)."""
        currency = self.env["res.currency"].browse(currency_id)
        company_currency = self.company.currency_id
        if currency == company_currency:
            return amount
        if currency_id not in self.rates:
            self.rates[currency_id] = currency._get_conversion_rate(
                currency, company_currency, self.company, fields.Date.context_today(self.run))
        return company_currency.round(amount * self.rates[currency_id])

    def _differs(self, record, name, value):
        current = record[name]
        model_field = record._fields[name]
        if model_field.type == "many2one":
            return current.id != value
        if model_field.type == "float":
            digits = model_field.get_digits(record.env)
            return float_compare(current or 0.0, value, precision_digits=digits[1]
                                 if digits else 6) != 0
        if model_field.type == "integer":
            return (current or 0) != value
        return (current or "") != (value or "")

    def _hold_for_confirmation(self, plan):
        """Large price jumps and any VAT change wait for a manager instead of being written."""
        seller, limit = plan.seller, self.profile.price_jump_percent
        held = []
        for name in ("price", "catalogue_retail_price"):
            if name not in plan.seller_vals or not seller[name] or not limit:
                continue
            old, new = Decimal(repr(seller[name])), Decimal(repr(plan.seller_vals[name]))
            percent = (new - old) / old * 100
            if abs(percent) > Decimal(repr(limit)):
                digits = seller._fields[name].get_digits(seller.env)[1]
                held.append((name, float_repr(old, digits), float_repr(new, digits),
                             float(percent)))
        if "catalogue_vat" in plan.seller_vals and seller.catalogue_vat:
            held.append(("catalogue_vat", seller.catalogue_vat,
                         plan.seller_vals["catalogue_vat"], 0.0))
        if not held:
            return
        decided = self.env["connector_b.pending.change"].sudo().search(
            [("supplierinfo_id", "=", seller.id), ("state", "in", ("pending", "refused"))])
        known = {(change.change_field, change.new_value) for change in decided}
        for change in held:
            del plan.seller_vals[change[0]]
            label = seller._fields[change[0]]._description_string(seller.env)
            plan.changes = [text for text in plan.changes if not text.startswith(label + ":")]
            if (change[0], change[2]) not in known:
                plan.pending.append(change)

    def _create_vals(self, plan):
        vals = {**plan.template_vals, "company_id": False,
                "seller_ids": [(0, 0, {**plan.seller_vals,
                                       "partner_id": self.profile.partner_id.id,
                                       "company_id": self.company.id})]}
        types = dict(self.templates._fields["detailed_type"]._description_selection(self.env))
        vals["detailed_type"] = "product" if "product" in types else "consu"
        if self.profile.categ_id:
            vals["categ_id"] = self.profile.categ_id.id
        if "uom_id" in vals:
            vals["uom_po_id"] = vals["uom_id"]
        if plan.seller_vals.get("catalogue_retail_price"):
            vals["list_price"] = self._company_amount(
                plan.seller_vals["catalogue_retail_price"], plan.seller_vals["currency_id"])
        if plan.range_vals:
            vals["lens_range_ids"] = [(0, 0, plan.range_vals)]
        return vals

    def _summary(self, plan):
        if plan.action == "reject":
            return "; ".join(plan.errors)
        if plan.action == "create":
            return _("new product %(name)s", name=plan.template_vals.get("name"))
        parts = list(plan.changes)
        labels = dict(self.env["connector_b.pending.change"]._fields["change_field"]
                      ._description_selection(self.env))
        for name, old, new, __ in plan.pending:
            parts.append(_("%(field)s %(old)s -> %(new)s waits for a manager",
                           field=labels[name], old=old, new=new))
        return "; ".join(parts)
