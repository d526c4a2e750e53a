from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..optics_math import (
    decentration,
    minimum_blank,
    minus_cylinder_form,
    to_decimal,
)

STAGES = [
    ("received", "Received"),
    ("surfacing", "Surfacing"),
    ("edging", "Edging"),
    ("mounting", "Mounting"),
    ("quality_check", "Quality Check"),
    ("ready", "Ready"),
    ("delivered", "Delivered"),
]
EYES = ("od", "os")
# Prism base as a 360-degree angle per eye (front view: nasal of OD is 0, of OS 180).
PRISM_BASE_ANGLES = {
    "od": {"in": 0, "out": 180, "up": 90, "down": 270},
    "os": {"in": 180, "out": 0, "up": 90, "down": 270},
}


class MrpProduction(models.Model):
    """A glasses job is a manufacturing order of the "glasses" product whose
    components are the real frame and lens products."""

    _inherit = "mrp.production"

    optics_prescription_id = fields.Many2one(
        "optics.prescription", "Prescription", index=True, readonly=True, check_company=True
    )
    optics_partner_id = fields.Many2one("res.partner", "Customer", index=True, tracking=True)
    optics_stage = fields.Selection(
        STAGES, "Lab Stage", index=True, tracking=True, group_expand="_expand_optics_stages"
    )
    optics_frame_id = fields.Many2one("product.product", "Frame", readonly=True)
    optics_range_od_id = fields.Many2one("optics.lens.range", "Right Lens Range", readonly=True)
    optics_range_os_id = fields.Many2one("optics.lens.range", "Left Lens Range", readonly=True)
    optics_lens_od_id = fields.Many2one("product.product", "Right Lens (OD)", readonly=True)
    optics_lens_os_id = fields.Many2one("product.product", "Left Lens (OS)", readonly=True)
    # Fitting data, taken from the prescription and adjustable by the optician.
    optics_pd_od = fields.Float("Far PD (OD)", digits=(6, 1))
    optics_pd_os = fields.Float("Far PD (OS)", digits=(6, 1))
    optics_near_pd_od = fields.Float("Near PD (OD)", digits=(6, 1))
    optics_near_pd_os = fields.Float("Near PD (OS)", digits=(6, 1))
    optics_height_od = fields.Float("Fitting Height (OD)", digits=(6, 1))
    optics_height_os = fields.Float("Fitting Height (OS)", digits=(6, 1))
    optics_frame_a = fields.Float("A", digits=(6, 1), help="Box width of the frame, mm.")
    optics_frame_b = fields.Float("B", digits=(6, 1), help="Box height of the frame, mm.")
    optics_frame_dbl = fields.Float("DBL", digits=(6, 1), help="Bridge of the frame, mm.")
    optics_frame_ed = fields.Float("ED", digits=(6, 1), help="Effective diameter, mm.")
    optics_decentration_od = fields.Float(
        "Decentration (OD)",
        digits=(6, 1),
        compute="_compute_optics_blank",
        store=True,
        help="(A + DBL) / 2 - monocular PD, mm; positive is an inset towards the nose.",
    )
    optics_decentration_os = fields.Float(
        "Decentration (OS)", digits=(6, 1), compute="_compute_optics_blank", store=True
    )
    optics_min_blank_od = fields.Float(
        "Minimum Blank (OD)",
        digits=(6, 1),
        compute="_compute_optics_blank",
        store=True,
        help="ED + 2 x decentration + 2 mm.",
    )
    optics_min_blank_os = fields.Float(
        "Minimum Blank (OS)", digits=(6, 1), compute="_compute_optics_blank", store=True
    )
    optics_date_expected = fields.Date("Promised Date", tracking=True)
    optics_date_received = fields.Datetime("Received On", readonly=True)
    optics_date_surfacing = fields.Datetime("Surfacing On", readonly=True)
    optics_date_edging = fields.Datetime("Edging On", readonly=True)
    optics_date_mounting = fields.Datetime("Mounting On", readonly=True)
    optics_date_quality_check = fields.Datetime("Quality Check On", readonly=True)
    optics_date_ready = fields.Datetime("Ready On", readonly=True)
    optics_date_delivered = fields.Datetime("Delivered On", readonly=True)
    optics_tolerance_profile_id = fields.Many2one(
        "optics.tolerance.profile",
        "Tolerance Profile",
        help="Set from the company setting when the job is created.",
    )
    optics_measurement_ids = fields.One2many(
        "optics.job.measurement", "production_id", "Measurements"
    )
    optics_qc_state = fields.Selection(
        [("pending", "Not Checked"), ("passed", "Passed"), ("failed", "Failed")],
        "Quality Check Result",
        compute="_compute_optics_qc_state",
        store=True,
    )

    @api.model
    def _expand_optics_stages(self, stages, domain, order):
        return [key for key, _label in STAGES]

    @api.depends(
        "optics_frame_a", "optics_frame_dbl", "optics_frame_ed", "optics_pd_od", "optics_pd_os"
    )
    def _compute_optics_blank(self):
        for job in self:
            for eye in EYES:
                pd = job[f"optics_pd_{eye}"]
                if not (job.optics_frame_a and pd):
                    job[f"optics_decentration_{eye}"] = 0.0
                    job[f"optics_min_blank_{eye}"] = 0.0
                    continue
                inset = decentration(job.optics_frame_a, job.optics_frame_dbl, pd)
                job[f"optics_decentration_{eye}"] = float(inset)
                job[f"optics_min_blank_{eye}"] = float(minimum_blank(job.optics_frame_ed, inset))

    @api.depends("optics_measurement_ids.passed", "optics_measurement_ids.is_measured")
    def _compute_optics_qc_state(self):
        for job in self:
            lines = job.optics_measurement_ids
            if not lines or not all(lines.mapped("is_measured")):
                job.optics_qc_state = "pending"
            else:
                job.optics_qc_state = "passed" if all(lines.mapped("passed")) else "failed"

    @api.constrains(
        "optics_range_od_id", "optics_range_os_id", "optics_min_blank_od", "optics_min_blank_os"
    )
    def _check_optics_blank(self):
        for job in self:
            for eye in EYES:
                lens_range = job[f"optics_range_{eye}_id"]
                needed = job[f"optics_min_blank_{eye}"]
                if lens_range and lens_range.diameter < needed:
                    raise ValidationError(
                        _(
                            "%(eye)s: the lens blank of %(blank)s mm is too small; this frame"
                            " and PD need at least %(needed)s mm.",
                            eye=_("Right eye (OD)") if eye == "od" else _("Left eye (OS)"),
                            blank=lens_range.diameter,
                            needed=round(needed, 1),
                        )
                    )

    # Creation ----------------------------------------------------------------

    @api.model
    def _optics_create_job(self, prescription, frame, range_od, range_os, fitting=None):
        """Manufacturing order for one pair of glasses.

        frame: product.product; range_od / range_os: optics.lens.range covering
        each eye's power; fitting: optional dict of optics_* fitting values.
        """
        prescription.ensure_one()
        for eye, lens_range in (("od", range_od), ("os", range_os)):
            if not lens_range.filtered_domain(prescription._lens_range_domain(eye)):
                raise UserError(
                    _(
                        "%(lens)s is not made in the power of the %(eye)s.",
                        lens=lens_range.product_tmpl_id.display_name,
                        eye=_("right eye (OD)") if eye == "od" else _("left eye (OS)"),
                    )
                )
        if frame.optics_kind != "frame":
            raise UserError(_("%s is not a frame.", frame.display_name))
        glasses = self.env.ref("optics_core.product_glasses")
        lead_days = max(range_od.lead_time_days, range_os.lead_time_days)
        vals = {
            "product_id": glasses.id,
            "product_qty": 1,
            "product_uom_id": glasses.uom_id.id,
            "company_id": prescription.company_id.id,
            "origin": prescription.name,
            "optics_prescription_id": prescription.id,
            "optics_partner_id": prescription.partner_id.id,
            "optics_stage": "received",
            "optics_date_received": fields.Datetime.now(),
            "optics_frame_id": frame.id,
            "optics_range_od_id": range_od.id,
            "optics_range_os_id": range_os.id,
            "optics_lens_od_id": range_od.product_tmpl_id.product_variant_id.id,
            "optics_lens_os_id": range_os.product_tmpl_id.product_variant_id.id,
            "optics_pd_od": prescription.pd_far_od,
            "optics_pd_os": prescription.pd_far_os,
            "optics_near_pd_od": prescription.pd_near_od,
            "optics_near_pd_os": prescription.pd_near_os,
            "optics_height_od": prescription.fitting_height_od,
            "optics_height_os": prescription.fitting_height_os,
            "optics_frame_a": frame.frame_a,
            "optics_frame_b": frame.frame_b,
            "optics_frame_dbl": frame.frame_dbl,
            "optics_frame_ed": frame.frame_ed,
            "optics_date_expected": fields.Date.context_today(self) + timedelta(days=lead_days),
            "optics_tolerance_profile_id": (
                prescription.company_id.optics_tolerance_profile_id.id
                or self.env.ref("optics_core.tolerance_ansi_z80_1").id
            ),
        }
        vals.update(fitting or {})
        job = self.create(vals)
        components = frame | job.optics_lens_od_id | job.optics_lens_os_id
        job.move_raw_ids = [
            fields.Command.create(job._get_move_raw_values(product, 1, product.uom_id))
            for product in (frame, job.optics_lens_od_id, job.optics_lens_os_id)
        ]
        # The job goes to the lab at once: a confirmed order, components to reserve.
        job.action_confirm()
        job.message_post(
            body=_(
                "Glasses job for %(partner)s from prescription %(rx)s; components: %(parts)s.",
                partner=prescription.partner_id.display_name,
                rx=prescription.name,
                parts=", ".join(components.mapped("display_name")),
            )
        )
        return job

    @api.model
    def create_glasses_job(self, prescription_id, frame_id, range_od_id, range_os_id, fitting=None):
        """The same by ids, for external clients and data files; returns the job id."""
        return self._optics_create_job(
            self.env["optics.prescription"].browse(prescription_id),
            self.env["product.product"].browse(frame_id),
            self.env["optics.lens.range"].browse(range_od_id),
            self.env["optics.lens.range"].browse(range_os_id),
            fitting,
        ).id

    # Stages ------------------------------------------------------------------

    def write(self, vals):
        stage = vals.get("optics_stage")
        if stage:
            vals = dict(vals, **{f"optics_date_{stage}": fields.Datetime.now()})
            if stage == "ready":
                self._optics_check_quality()
            elif stage == "delivered":
                self._optics_check_ready()
        result = super().write(vals)
        if stage == "quality_check":
            self.filtered(lambda job: not job.optics_measurement_ids)._optics_prepare_qc()
        elif stage == "ready":
            self._optics_complete_production()
            self._optics_notify_ready()
        return result

    def _optics_check_quality(self):
        for job in self:
            if job.optics_qc_state != "passed":
                raise UserError(
                    _(
                        "Glasses job %s has not passed the quality check; it cannot be ready.",
                        job.name,
                    )
                )

    def action_optics_next_stage(self):
        keys = [key for key, _label in STAGES]
        for job in self:
            position = keys.index(job.optics_stage or "received")
            if position + 1 < len(keys):
                job.optics_stage = keys[position + 1]
        return True

    def action_optics_ready(self):
        self.write({"optics_stage": "ready"})
        return True

    def _optics_check_ready(self):
        for job in self:
            if job.optics_stage not in ("ready", "delivered"):
                raise UserError(_("Glasses job %s is not ready yet.", job.name))

    def action_optics_deliver(self):
        self.write({"optics_stage": "delivered"})
        return True

    def _optics_complete_production(self):
        """Consume the frame and lenses and produce the glasses (real stock moves)."""
        for job in self.filtered(lambda j: j.state not in ("done", "cancel")):
            if job.state == "draft":
                job.action_confirm()
            result = job.button_mark_done()
            if result is not True:
                raise UserError(
                    _(
                        "Manufacturing order %s needs attention before it can be finished; "
                        "open it and mark it done.",
                        job.name,
                    )
                )

    def _optics_notify_ready(self):
        template = self.env.ref("optics_core.mail_template_glasses_ready")
        for job in self.filtered("optics_partner_id"):
            job.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
            if job.company_id.optics_ready_sms:
                job._optics_send_ready_sms()

    def _optics_send_ready_sms(self):
        """SMS hook, called when "Text Customers When Glasses Are Ready" is on.

        Intentionally does nothing here: a deployment overrides it (for example
        with the sms module's _message_sms_with_template, or a gateway of its
        choice) and returns True when a text was sent.
        """
        self.ensure_one()
        return False

    # Quality check -----------------------------------------------------------

    def _optics_ordered_values(self, eye):
        """(quantity, ordered, reference) for the lens of one eye, minus-cylinder form."""
        self.ensure_one()
        rx = self.optics_prescription_id
        sphere, cylinder, axis = minus_cylinder_form(
            rx[f"sphere_{eye}"], rx[f"cylinder_{eye}"], rx[f"axis_{eye}"]
        )
        addition = to_decimal(rx[f"addition_{eye}"])
        if rx.kind == "near":
            sphere, addition = sphere + addition, to_decimal(0)
        highest = max(abs(sphere), abs(sphere + cylinder))
        values = [("sphere", sphere, highest)]
        if cylinder:
            values += [("cylinder", cylinder, abs(cylinder)), ("axis", axis, abs(cylinder))]
        if addition and rx.kind == "progressive":
            values.append(("addition", addition, addition))
        if self[f"optics_height_{eye}"]:
            values.append(("height", to_decimal(self[f"optics_height_{eye}"]), 0))
        return values

    def _optics_prepare_qc(self):
        for job in self.filtered("optics_prescription_id"):
            job.optics_measurement_ids = [
                fields.Command.create(
                    {
                        "eye": eye,
                        "quantity": quantity,
                        "ordered": float(ordered),
                        "reference": float(reference),
                    }
                )
                for eye in EYES
                for quantity, ordered, reference in job._optics_ordered_values(eye)
            ]

    def action_optics_prepare_qc(self):
        self.optics_measurement_ids.unlink()
        self._optics_prepare_qc()
        return True

    # VCA export --------------------------------------------------------------

    def _optics_vca_lines(self):
        """Vision Council VCA/DCS records of this job, LABEL=right;left."""
        self.ensure_one()
        rx = self.optics_prescription_id
        codes = self.env["optics.vca.code"]
        frame = self.optics_frame_id
        powers = {
            eye: minus_cylinder_form(rx[f"sphere_{eye}"], rx[f"cylinder_{eye}"], rx[f"axis_{eye}"])
            for eye in EYES
        }

        def pair(fmt, values):
            return ";".join(fmt % value for value in values)

        def dioptres(getter):
            return pair("%.2f", [to_decimal(getter(eye)) for eye in EYES])

        def prism_angle(eye):
            base = rx[f"prism_base_{eye}"]
            if base == "angle":
                return rx[f"prism_angle_{eye}"]
            return PRISM_BASE_ANGLES[eye].get(base, 0)

        frame_kind = "rimless" if frame.frame_type == "rimless" else frame.frame_material
        lenses = {"od": self.optics_lens_od_id, "os": self.optics_lens_os_id}
        ranges = {"od": self.optics_range_od_id, "os": self.optics_range_os_id}
        additions = {"od": rx.addition_od, "os": rx.addition_os}
        if rx.kind != "progressive":
            additions = {"od": 0, "os": 0}
        return [
            f"JOB={self.name}",
            "DO=B",
            "SPH=" + dioptres(lambda eye: powers[eye][0]),
            "CYL=" + dioptres(lambda eye: powers[eye][1]),
            "AX=" + pair("%d", [powers[eye][2] if powers[eye][1] else 0 for eye in EYES]),
            "ADD=" + dioptres(lambda eye: additions[eye]),
            "PRVM=" + dioptres(lambda eye: rx[f"prism_{eye}"]),
            "PRVA=" + pair("%d", [prism_angle(eye) for eye in EYES]),
            "IPD=" + pair("%.2f", [self.optics_pd_od, self.optics_pd_os]),
            "NPD=" + pair("%.2f", [self.optics_near_pd_od, self.optics_near_pd_os]),
            "SEGHT=" + pair("%.2f", [self.optics_height_od, self.optics_height_os]),
            "OCHT=" + pair("%.2f", [self.optics_height_od, self.optics_height_os]),
            "HBOX=" + pair("%.2f", [self.optics_frame_a] * 2),
            "VBOX=" + pair("%.2f", [self.optics_frame_b] * 2),
            "DBL=%.2f" % self.optics_frame_dbl,
            "FED=" + pair("%.2f", [self.optics_frame_ed] * 2),
            "FTYP=" + codes._code("FTYP", frame_kind),
            "ETYP=" + pair("%s", [codes._code("ETYP", frame.frame_type)] * 2),
            "LNAM=" + pair("%s", [lenses[eye].name for eye in EYES]),
            "LIND=" + pair("%.3f", [lenses[eye].lens_index for eye in EYES]),
            "LTYP=" + pair("%s", [codes._code("LTYP", lenses[eye].lens_design) for eye in EYES]),
            "DIA=" + pair("%d", [ranges[eye].diameter for eye in EYES]),
        ]

    def _optics_vca_content(self):
        """The file as bytes: ASCII-safe text with CR LF line ends, as labs expect."""
        return ("\r\n".join(self._optics_vca_lines()) + "\r\n").encode("utf-8")

    def action_optics_export_vca(self):
        self.ensure_one()
        if not (self.optics_prescription_id and self.optics_frame_id):
            raise UserError(_("Only glasses jobs with a prescription and a frame can be exported."))
        attachment = self.env["ir.attachment"].create(
            {
                "name": "%s.vca" % self.name.replace("/", "_"),
                "raw": self._optics_vca_content(),
                "mimetype": "text/plain",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content/%s?download=true" % attachment.id,
            "target": "self",
        }
