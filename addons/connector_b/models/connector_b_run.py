import base64
import csv
import io
import logging
import threading
import time

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..catalogue_engine import CatalogueImport

_logger = logging.getLogger(__name__)

PREVIEW_ACTIONS = ("create", "update", "pending", "reject")
# A background job hands over to a fresh cron call after this long.
BACKGROUND_SECONDS = 240
REPORT_SLICE = 5000
# The run's counter fields, by the importer's count each one shows.
COUNT_FIELDS = {"create": "rows_created", "update": "rows_updated",
                "unchanged": "rows_unchanged", "ignored": "rows_ignored",
                "reject": "rows_rejected", "pending_changes": "rows_pending"}


class RolledBack(Exception):
    """Raised inside the run's savepoint to undo an all-or-nothing run with bad rows."""

    def __init__(self, importer):
        super().__init__()
        self.importer = importer


class ConnectorBRun(models.Model):
    _name = "connector_b.run"
    _description = "Catalogue Import Run"
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    profile_id = fields.Many2one("connector_b.profile", required=True, ondelete="restrict")
    partner_id = fields.Many2one(related="profile_id.partner_id", string="Supplier")
    company_id = fields.Many2one("res.company", required=True,
                                 default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", string="Imported By", required=True,
                              default=lambda self: self.env.user, readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="File Attachment", readonly=True)
    file = fields.Binary(related="attachment_id.datas", string="File")
    file_name = fields.Char(related="attachment_id.name", string="File Name")
    skip_bad_rows = fields.Boolean(
        help="Write the good rows and report the bad ones. By default one bad row stops "
        "the whole import and nothing is written.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("previewed", "Previewed"),
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        default="draft",
        required=True,
        readonly=True,
    )
    message = fields.Text(readonly=True)
    date_started = fields.Datetime(readonly=True)
    date_finished = fields.Datetime(readonly=True)
    rows_total = fields.Integer(string="Rows", readonly=True)
    rows_done = fields.Integer(string="Rows Processed", readonly=True)
    rows_created = fields.Integer(string="Created", readonly=True)
    rows_updated = fields.Integer(string="Updated", readonly=True)
    rows_unchanged = fields.Integer(string="Unchanged", readonly=True)
    rows_ignored = fields.Integer(string="Ignored", readonly=True,
                                  help="Rows for products the profile may not create or update.")
    rows_rejected = fields.Integer(string="Rejected", readonly=True)
    rows_pending = fields.Integer(string="Waiting for Confirmation", readonly=True)
    progress = fields.Float(compute="_compute_progress")
    validated = fields.Boolean(readonly=True, help="The background job has checked every row.")
    next_row = fields.Integer(readonly=True, help="Where an interrupted background job resumes.")
    line_ids = fields.One2many("connector_b.run.line", "run_id", string="Rows Report")
    pending_ids = fields.One2many("connector_b.pending.change", "run_id",
                                  string="Pending Changes")

    @api.depends("profile_id.name", "create_date")
    def _compute_name(self):
        for run in self:
            run.name = "%s %s" % (run.profile_id.name or "", run.create_date or "")

    @api.depends("rows_done", "rows_total")
    def _compute_progress(self):
        for run in self:
            run.progress = 100.0 * run.rows_done / run.rows_total if run.rows_total else 0.0

    # ------------------------------------------------------------ checks

    @api.model
    def _fiscal_unsent_count(self, company):
        """Receipts of `company` still waiting for a fiscal register (0 without the fiscal
        module); its failed receipts wait for an administrator and do not count."""
        if "fiscal.device" not in self.env:
            return 0
        return self.env["fiscal.device"].sudo()._fiscal_unsent_count(company)

    def _check_fiscal_queue(self):
        company = self.company_id or self.env.company
        if not company.catalogue_refuse_unsent:
            return
        unsent = self._fiscal_unsent_count(company)
        if unsent:
            raise UserError(_(
                "The import is refused: %(count)s receipt(s) are not fiscalized yet. Prices "
                "must not change while receipts wait for the fiscal register. Send them (or "
                "let the fiscal queue drain), then import again.", count=unsent))

    def _check_size(self, size):
        limit = (self.company_id or self.env.company).catalogue_max_file_mb
        if limit and size > limit * 1024 * 1024:
            raise UserError(_(
                "The file is %(size).1f MB; imports are limited to %(limit)s MB. Split the "
                "price list or raise the limit in Settings.",
                size=size / 1024 / 1024, limit=limit))

    # ------------------------------------------------------------ passes

    def _chunk_size(self):
        return max(self.company_id.catalogue_chunk_size or 1000, 1)

    def _reset_counts(self, **extra):
        # A previous pass may have left a report line per row: deleted a slice at a
        # time, as one unlink of 100,000 lines alone takes about 60 MB.
        Line = self.env["connector_b.run.line"].sudo()
        while lines := Line.search([("run_id", "in", self.ids)], limit=REPORT_SLICE):
            lines.unlink()
        self.write({"rows_done": 0, **dict.fromkeys(COUNT_FIELDS.values(), 0), **extra})

    def _store_counts(self, importer, **extra):
        self.write({
            **{name: importer.counts[count] for count, name in COUNT_FIELDS.items()},
            "rows_done": importer.rows_seen,
            **extra,
        })

    def _pass(self, apply, *, commit=False, start_row=0, deadline=None, all_or_nothing=False,
              reported=PREVIEW_ACTIONS):
        """One pass over the file; returns (importer, next row or 0 when finished).

        With ``all_or_nothing``, the first rejected row stops the writing; the
        rest of the file is still checked so the report lists every bad row.
        Rows whose action is in ``reported`` get a report line.
        """
        importer = CatalogueImport(self)
        if start_row:
            self._resume_counts(importer)
        Line = self.env["connector_b.run.line"].sudo()
        for chunk in importer.chunks(self._chunk_size(), start_row):
            plans = importer.plan(chunk)
            apply = apply and not (all_or_nothing and importer.counts["reject"])
            if apply:
                with self.env.cr.savepoint():
                    importer.apply(plans)
            Line.create(importer.line_vals(plans, reported))
            self._store_counts(importer)
            # Keep memory flat on long files: what the chunk loaded is not needed again.
            self.env.flush_all()
            self.env.invalidate_all()
            if commit:
                self.write({"next_row": chunk[-1][0] + 1})
                self._commit()
            if deadline and time.monotonic() > deadline:
                return importer, chunk[-1][0] + 1
        return importer, 0

    def _resume_counts(self, importer):
        """An interrupted background run goes on counting from what it had written."""
        counts = {count: self[name] for count, name in COUNT_FIELDS.items()}
        counts["pending"] = self.rows_done - sum(
            value for key, value in counts.items() if key != "pending_changes")
        importer.counts.update(counts)

    def _commit(self):
        # Tests run in one transaction that must stay open; commits are for real cron runs.
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _preview(self, reported=PREVIEW_ACTIONS):
        self.ensure_one()
        self._check_fiscal_queue()
        self._reset_counts()
        importer, __ = self._pass(apply=False, reported=reported)
        self._store_counts(importer, state="previewed", rows_total=self.rows_done,
                           message=self._result_text(importer, preview=True))
        return importer

    def _result_text(self, importer, preview=False):
        counts = importer.counts
        text = _("%(create)s to create, %(update)s to update, %(unchanged)s unchanged, "
                 "%(ignored)s ignored, %(reject)s rejected, %(pending)s price or VAT "
                 "change(s) to confirm.", create=counts["create"], update=counts["update"],
                 unchanged=counts["unchanged"], ignored=counts["ignored"],
                 reject=counts["reject"], pending=counts["pending_changes"])
        if counts["reject"] and not self.skip_bad_rows:
            text += "\n" + (
                _("Nothing will be written: fix the rejected rows or choose 'Skip bad rows'.")
                if preview else
                _("Nothing was written: fix the rejected rows or choose 'Skip bad rows'."))
        return text

    # ------------------------------------------------------------ actions

    def action_preview(self):
        for run in self:
            if run.state not in ("draft", "previewed", "failed"):
                raise UserError(_("Only a run that has not started can be previewed again."))
            run._preview()
        return True

    def action_run(self):
        """Run now, in this request, in one pass inside a savepoint.

        All-or-nothing: when any row is rejected the savepoint is rolled back,
        so nothing is written, and only the rejected rows are reported.
        """
        self.ensure_one()
        if self.state not in ("draft", "previewed", "failed"):
            raise UserError(_("This run has already been started."))
        self._check_fiscal_queue()
        self._reset_counts(state="running", date_started=fields.Datetime.now())
        all_or_nothing = not self.skip_bad_rows
        try:
            with self.env.cr.savepoint():
                importer, __ = self._pass(apply=True, all_or_nothing=all_or_nothing)
                if all_or_nothing and importer.counts["reject"]:
                    raise RolledBack(importer)
        except RolledBack as rolled_back:
            importer = rolled_back.importer
            self.env["connector_b.run.line"].sudo().create(importer.rejected_lines)
            self._store_counts(importer, state="failed", rows_total=importer.rows_seen,
                               date_finished=fields.Datetime.now(),
                               message=self._result_text(importer))
            return True
        except UserError as error:
            self._fail(error.args[0])
            return True
        self._finish(importer)
        return True

    def action_run_background(self):
        self.ensure_one()
        if self.state not in ("draft", "previewed", "failed"):
            raise UserError(_("This run has already been started."))
        self._check_fiscal_queue()
        self.write({"state": "queued", "validated": False, "next_row": 0,
                    "message": _("Waiting for the background job.")})
        self.env.ref("connector_b.cron_process_runs")._trigger()
        return True

    def _fail(self, reason):
        if self.next_row:  # a background job has committed the chunks before this row
            message = _("Stopped at row %(row)s; the rows before it were written: %(reason)s",
                        row=self.next_row, reason=reason)
        else:
            message = _("Nothing was written: %(reason)s", reason=reason)
        self.write({"state": "failed", "date_finished": fields.Datetime.now(),
                    "message": message})

    def _finish(self, importer):
        self._store_counts(importer, state="done", date_finished=fields.Datetime.now(),
                           rows_total=max(self.rows_total, importer.rows_seen),
                           message=self._result_text(importer))

    # ------------------------------------------------------------ background

    @api.model
    def _cron_process_runs(self):
        """Process queued runs in chunks, committing each one, within a time budget."""
        deadline = time.monotonic() + BACKGROUND_SECONDS
        for run in self.search([("state", "in", ("queued", "running"))], order="id"):
            if not run._background_step(deadline):
                self.env.ref("connector_b.cron_process_runs")._trigger()
                return

    def _background_step(self, deadline):
        """Advance one run; False when the time budget ran out before it finished."""
        self.ensure_one()
        try:
            if not self.next_row:  # once rows are written, stopping halfway would be worse
                self._check_fiscal_queue()
            if not self.validated and not self.skip_bad_rows:
                # Only the rejected rows are reported: on success the pass that writes
                # reports every row, so lines written now would only be deleted.
                importer = self._preview(reported=("reject",))
                if importer.counts["reject"]:
                    self.write({"state": "failed", "date_finished": fields.Datetime.now(),
                                "message": self._result_text(importer)})
                    self._commit()
                    return True
                self.write({"validated": True, "next_row": 0})
            if self.state != "running":
                self._reset_counts(state="running", date_started=fields.Datetime.now())
            self._commit()
            importer, next_row = self._pass(apply=True, commit=True, start_row=self.next_row,
                                            deadline=deadline)
        except UserError as error:
            # The failed chunk was rolled back by its savepoint; earlier ones are committed.
            self._fail(error.args[0])
            self._commit()
            return True
        if next_row:
            return False
        self._finish(importer)
        self._commit()
        return True

    # ------------------------------------------------------------ report

    def action_download_errors(self):
        """The rejected rows as a CSV file (row, key, reason) the user can open in Excel."""
        self.ensure_one()
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow([_("Row"), _("Key"), _("Reason")])
        for line in self.line_ids.filtered(lambda r: r.action == "reject"):
            writer.writerow([line.row_number, line.key, line.message])
        attachment = self.env["ir.attachment"].create({
            "name": _("import-errors-%(id)s.csv", id=self.id),
            "datas": base64.b64encode(buffer.getvalue().encode("utf-8-sig")),
            "mimetype": "text/csv",
            "res_model": self._name,
            "res_id": self.id,
        })
        return {"type": "ir.actions.act_url", "target": "download",
                "url": "/web/content/%s?download=true" % attachment.id}
