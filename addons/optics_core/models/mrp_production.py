from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import vca
from ..optics_math import (
    decentration,
    minimum_blank,
    minus_cylinder_form,
    prism_components,
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

    optics_qc_failures = fields.Text(
        "Failed Values",
        compute="_compute_optics_qc_failures",
        help="Each value out of tolerance, with how far it is off.",
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

    @api.depends("optics_measurement_ids.passed", "optics_measurement_ids.is_measured")
    def _compute_optics_qc_failures(self):
        for job in self:
            failed = job.optics_measurement_ids.filtered(lambda m: m.is_measured and not m.passed)
            job.optics_qc_failures = "\n".join(m._failure_message() for m in failed) or False

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
                message = _(
                    "Glasses job %s has not passed the quality check; it cannot be ready.",
                    job.name,
                )
                raise UserError("\n".join(filter(None, [message, job.optics_qc_failures])))

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

    def _optics_design(self, eye):
        """The tolerance table a lens is judged by: progressive or single vision."""
        self.ensure_one()
        progressive = (
            self[f"optics_lens_{eye}_id"].lens_design == "progressive"
            or self.optics_prescription_id.kind == "progressive"
        )
        return "progressive" if progressive else "single_vision"

    def _optics_ordered_values(self, eye):
        """Measurement values for the lens of one eye, minus-cylinder form: what was
        ordered and the references that select the tolerance."""
        self.ensure_one()
        rx = self.optics_prescription_id
        sphere, cylinder, axis = minus_cylinder_form(
            rx[f"sphere_{eye}"], rx[f"cylinder_{eye}"], rx[f"axis_{eye}"]
        )
        addition = to_decimal(rx[f"addition_{eye}"])
        if rx.kind == "near":
            sphere, addition = sphere + addition, to_decimal(0)
        prism = to_decimal(rx[f"prism_{eye}"])
        common = {
            "eye": eye,
            "design": self._optics_design(eye),
            "reference_meridian": float(max(abs(sphere), abs(sphere + cylinder))),
            "reference_cylinder": float(abs(cylinder)),
            "reference_value": 0.0,
        }
        values = [("sphere", sphere, {})]
        if cylinder:
            values += [("cylinder", cylinder, {}), ("axis", axis, {})]
        if addition and rx.kind == "progressive":
            values.append(("addition", addition, {"reference_value": float(addition)}))
        horizontal, vertical = prism_components(
            prism, rx[f"prism_base_{eye}"], rx[f"prism_angle_{eye}"], PRISM_BASE_ANGLES[eye]
        )
        # Unwanted prism is checked too: an ordered prism of 0 at the reference point.
        for quantity, component, bases in (
            ("prism_horizontal", horizontal, ("in", "out")),
            ("prism_vertical", vertical, ("up", "down")),
        ):
            extra = {"reference_value": float(prism), "ordered_base": bases[component < 0]}
            values.append((quantity, abs(component), extra))
        if self[f"optics_pd_{eye}"]:
            values.append(("centre_horizontal", to_decimal(self[f"optics_pd_{eye}"]), {}))
        if self[f"optics_height_{eye}"]:
            values.append(("height", to_decimal(self[f"optics_height_{eye}"]), {}))
        return [
            dict(common, quantity=quantity, ordered=float(ordered), **extra)
            for quantity, ordered, extra in values
        ]

    def _optics_prepare_qc(self):
        for job in self.filtered("optics_prescription_id"):
            job.optics_measurement_ids = [
                fields.Command.create(values)
                for eye in EYES
                for values in job._optics_ordered_values(eye)
            ]

    def action_optics_prepare_qc(self):
        self.optics_measurement_ids.unlink()
        self._optics_prepare_qc()
        return True

    # VCA export --------------------------------------------------------------

    def _optics_vca_records(self):
        """Vision Council DCS records of this job as (label, value or (right, left)),
        in the standard's order: job and customer, prescription, frame, lenses."""
        self.ensure_one()
        rx = self.optics_prescription_id
        codes = self.env["optics.vca.code"]
        frame = self.optics_frame_id
        lenses = {"od": self.optics_lens_od_id, "os": self.optics_lens_os_id}
        ranges = {"od": self.optics_range_od_id, "os": self.optics_range_os_id}
        powers = {}
        for eye in EYES:
            if rx[f"cylinder_{eye}"] and not rx[f"axis_{eye}"]:
                raise UserError(
                    _(
                        "%(eye)s: the cylinder has no axis; correct the prescription "
                        "before sending the job to the lab.",
                        eye=_("Right eye (OD)") if eye == "od" else _("Left eye (OS)"),
                    )
                )
            powers[eye] = minus_cylinder_form(
                rx[f"sphere_{eye}"], rx[f"cylinder_{eye}"], rx[f"axis_{eye}"]
            )

        def per_eye(fmt, getter):
            return tuple(fmt % getter(eye) for eye in EYES)

        def prism_angle(eye):
            base = rx[f"prism_base_{eye}"]
            if not rx[f"prism_{eye}"] or not base:
                return 0
            return rx[f"prism_angle_{eye}"] if base == "angle" else PRISM_BASE_ANGLES[eye][base]

        def height(eye, multifocal):
            """SEGHT for progressive and multifocal lenses, OCHT for single vision."""
            is_multifocal = lenses[eye].lens_design != "single_vision"
            if is_multifocal != multifocal or not self[f"optics_height_{eye}"]:
                return ""
            return "%.2f" % self[f"optics_height_{eye}"]

        additions = {eye: rx[f"addition_{eye}"] if rx.kind == "progressive" else 0 for eye in EYES}
        frame_kind = "rimless" if frame.frame_type == "rimless" else frame.frame_material
        records = [
            ("JOB", vca.name_value("JOB", self.name)),
            ("CLIENT", vca.name_value("CLIENT", self.optics_partner_id.name)),
            ("DO", "B"),
            ("SPH", per_eye("%.2f", lambda eye: powers[eye][0])),
            ("CYL", per_eye("%.2f", lambda eye: powers[eye][1])),
            # 0 only where there is no cylinder: a cylinder always has its axis 1..180
            ("AX", per_eye("%d", lambda eye: powers[eye][2] if powers[eye][1] else 0)),
            ("ADD", per_eye("%.2f", lambda eye: additions[eye])),
            ("PRVM", per_eye("%.2f", lambda eye: rx[f"prism_{eye}"])),
            ("PRVA", per_eye("%d", prism_angle)),
            ("IPD", per_eye("%.2f", lambda eye: self[f"optics_pd_{eye}"])),
            ("NPD", per_eye("%.2f", lambda eye: self[f"optics_near_pd_{eye}"])),
            ("SEGHT", tuple(height(eye, True) for eye in EYES)),
            ("OCHT", tuple(height(eye, False) for eye in EYES)),
            ("HBOX", per_eye("%.2f", lambda eye: self.optics_frame_a)),
            ("VBOX", per_eye("%.2f", lambda eye: self.optics_frame_b)),
            ("DBL", "%.2f" % self.optics_frame_dbl),
            ("FED", per_eye("%.2f", lambda eye: self.optics_frame_ed)),
            ("FTYP", codes._code("FTYP", frame_kind)),
            ("ETYP", per_eye("%s", lambda eye: codes._code("ETYP", frame.frame_type))),
            ("LNAM", tuple(vca.name_value("LNAM", lenses[eye].name) for eye in EYES)),
            ("LIND", per_eye("%.3f", lambda eye: lenses[eye].lens_index)),
            ("LTYP", per_eye("%s", lambda eye: codes._code("LTYP", lenses[eye].lens_design))),
            ("DIA", per_eye("%d", lambda eye: ranges[eye].diameter)),
        ]
        if rx.note:
            # Labels starting with "_" are left by the standard to private records.
            records.append(("_NOTE", vca.free_text_value("_NOTE", rx.note)))
        return [(label, values) for label, values in records if any(values)]

    def _optics_vca_content(self):
        """The file as bytes: printable ASCII with CR LF line ends, as the standard says."""
        try:
            return vca.vca_text(self._optics_vca_records())
        except vca.VcaError as error:
            label, reason = error.args
            if reason == "separator":
                message = _(
                    "The value of %(label)s contains a semicolon or a line break, which a "
                    "VCA file cannot carry; correct it before exporting.",
                    label=label,
                )
            else:
                message = _(
                    "The value of %(label)s has characters that a VCA file cannot carry "
                    "(only Latin and Cyrillic letters, digits and ASCII signs).",
                    label=label,
                )
            raise UserError(message) from error

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
