"""VCA export read back by a reader written here from the Data Communication
Standard's rules (LABEL=value lines, right;left, printable ASCII, CR LF), not from
the exporter's code, comparing every value with the job and its prescription."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import OpticsCase

PER_EYE = {
    "SPH", "CYL", "AX", "ADD", "PRVM", "PRVA", "IPD", "NPD", "SEGHT", "OCHT",
    "HBOX", "VBOX", "FED", "ETYP", "LNAM", "LIND", "LTYP", "DIA",
}  # fmt: skip


def read_vca(content):
    """{label: value or [right, left]} and the labels in file order."""
    text = content.decode("ascii")  # the standard's character set: a non-ASCII byte fails here
    assert text.endswith("\r\n"), "records end with CR LF"
    records, order = {}, []
    for line in text[:-2].split("\r\n"):
        assert "\n" not in line and "\r" not in line, line
        assert all(" " <= char <= "~" for char in line), line
        label, separator, value = line.partition("=")
        assert separator and label == label.upper() and label not in records, line
        order.append(label)
        records[label] = value.split(";") if label in PER_EYE else value
        if label in PER_EYE:
            assert len(records[label]) == 2, line
    return records, order


@tagged("post_install", "-at_install")
class TestVcaExport(OpticsCase):
    def _job(self, rx, lens_range):
        return self.env["mrp.production"]._optics_create_job(rx, self.frame, lens_range, lens_range)

    def test_round_trip_with_cyrillic_name_and_semicolon_in_note(self):
        self.partner.name = "Щукина Юлия Ёжиковна"
        rx = self._confirmed_prescription(
            kind="progressive",
            sphere_od=-2.25,
            cylinder_od=-0.75,
            axis_od=180,
            sphere_os=-2.0,
            cylinder_os=0.5,
            axis_os=95,
            addition_od=2.0,
            addition_os=2.25,
            prism_od=1.5,
            prism_base_od="in",
            prism_os=0.5,
            prism_base_os="angle",
            prism_angle_os=270,
            note="Тонкие линзы; без царапин\nпозвонить",
        )
        job = self._job(rx, self.range_prog)
        records, order = read_vca(job._optics_vca_content())
        self.assertEqual(
            order,
            [
                "JOB",
                "CLIENT",
                "DO",
                "SPH",
                "CYL",
                "AX",
                "ADD",
                "PRVM",
                "PRVA",
                "IPD",
                "NPD",
                "SEGHT",
                "HBOX",
                "VBOX",
                "DBL",
                "FED",
                "FTYP",
                "ETYP",
                "LNAM",
                "LIND",
                "LTYP",
                "DIA",
                "_NOTE",
            ],  # fmt: skip
        )
        self.assertEqual(records["JOB"], job.name)
        self.assertEqual(records["CLIENT"], "Shchukina Iuliia Ezhikovna")
        self.assertEqual(records["DO"], "B")
        # minus-cylinder form: OS +0.50 x 95 is -1.50 / -0.50 x 5
        self.assertEqual([float(v) for v in records["SPH"]], [-2.25, -1.5])
        self.assertEqual([float(v) for v in records["CYL"]], [-0.75, -0.5])
        self.assertEqual([int(v) for v in records["AX"]], [180, 5])
        self.assertEqual([float(v) for v in records["ADD"]], [2.0, 2.25])
        self.assertEqual([float(v) for v in records["PRVM"]], [1.5, 0.5])
        # base in of the right eye is 0 degrees, down is 270 for either eye
        self.assertEqual([int(v) for v in records["PRVA"]], [0, 270])
        self.assertEqual([float(v) for v in records["IPD"]], [31.5, 31.0])
        self.assertEqual([float(v) for v in records["NPD"]], [30.0, 29.5])
        # a progressive lens: the fitting cross height is SEGHT, and no OCHT
        self.assertEqual([float(v) for v in records["SEGHT"]], [18.0, 18.5])
        self.assertNotIn("OCHT", records)
        self.assertEqual([float(v) for v in records["HBOX"]], [52.0, 52.0])
        self.assertEqual([float(v) for v in records["VBOX"]], [38.0, 38.0])
        self.assertEqual(float(records["DBL"]), 18.0)
        self.assertEqual([float(v) for v in records["FED"]], [56.0, 56.0])
        self.assertEqual(records["FTYP"], "1")
        self.assertEqual(records["ETYP"], ["1", "1"])
        self.assertEqual(records["LNAM"], ["Progressive 1.60 Test"] * 2)
        self.assertEqual([float(v) for v in records["LIND"]], [1.6, 1.6])
        self.assertEqual(records["LTYP"], ["PR", "PR"])
        self.assertEqual([int(v) for v in records["DIA"]], [70, 70])
        # ";" would split the record, a line break would end it: the note keeps its words
        self.assertEqual(records["_NOTE"], "Tonkie linzy, bez tsarapin pozvonit")

    def test_single_vision_height_is_the_optical_centre(self):
        job = self._job(self._confirmed_prescription(), self.range_sv_stock)
        records, order = read_vca(job._optics_vca_content())
        self.assertEqual([float(v) for v in records["OCHT"]], [18.0, 18.5])
        self.assertNotIn("SEGHT", order)
        self.assertNotIn("_NOTE", order)

    def test_names_that_would_break_the_file_are_refused(self):
        job = self._job(self._confirmed_prescription(), self.range_sv_stock)
        self.lens_sv.name = "SV 1.60; Blue"
        with self.assertRaises(UserError) as caught:
            job.action_optics_export_vca()
        self.assertIn("LNAM contains a semicolon or a line break", str(caught.exception))
        self.lens_sv.name = "SV 1.60 Blue"
        self.partner.name = "李 Wei"
        with self.assertRaises(UserError) as caught:
            job.action_optics_export_vca()
        self.assertIn("CLIENT has characters that a VCA file cannot carry", str(caught.exception))
        self.assertFalse(
            self.env["ir.attachment"].search(
                [("res_model", "=", "mrp.production"), ("res_id", "=", job.id)]
            )
        )
