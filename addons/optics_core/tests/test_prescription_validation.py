from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import OpticsCase

OD, OS, BOTH = "Right eye (OD)", "Left eye (OS)", "Both eyes"

# (values, None) for a valid prescription; (values, (eye, text in the message)) for an invalid one.
CASES = [
    ({}, None),
    ({"sphere_od": 0, "sphere_os": 0}, None),
    ({"sphere_od": -2.25, "cylinder_od": -0.75, "axis_od": 180}, None),
    ({"sphere_od": 1.0, "cylinder_od": 0.5, "axis_od": 90}, None),  # plus cylinder
    ({"sphere_od": -1.0, "cylinder_od": -0.5, "axis_od": 1}, None),  # axis 1
    ({"sphere_os": -1.0, "cylinder_os": 1.25, "axis_os": 180}, None),  # axis 180
    ({"sphere_od": 30.0, "sphere_os": -30.0}, None),
    ({"cylinder_od": -10.0, "axis_od": 5, "cylinder_os": 10.0, "axis_os": 175}, None),
    ({"kind": "progressive", "addition_od": 0.5, "addition_os": 4.0}, None),
    ({"prism_od": 0.25, "prism_base_od": "in", "prism_os": 10, "prism_base_os": "up"}, None),
    ({"prism_od": 2, "prism_base_od": "angle", "prism_angle_od": 270}, None),
    ({"pd_far_od": 20, "pd_far_os": 40, "pd_near_od": 20, "pd_near_os": 40}, None),
    ({"fitting_height_od": 10, "fitting_height_os": 30}, None),
    ({"pd_binocular": 45, "vertex_distance": 14}, None),
    ({"kind": "contact", "cl_base_curve_od": 8.6, "cl_diameter_od": 14.2}, None),
    ({"sphere_od": -0.25, "visual_acuity_od": 0.8}, None),
    ({"sphere_od": 30.25}, (OD, "sphere 30.25 is outside the allowed range -30 to 30")),
    ({"sphere_os": -30.5}, (OS, "sphere -30.5 is outside the allowed range -30 to 30")),
    ({"sphere_od": -2.1}, (OD, "sphere -2.1 is not a multiple of 0.25")),
    # Powers keep two decimals while every step is a quarter: an eighth rounds, and is refused.
    ({"sphere_os": 0.125}, (OS, "sphere 0.13 is not a multiple of 0.25")),
    ({"cylinder_od": -10.25, "axis_od": 90}, (OD, "cylinder -10.25 is outside")),
    ({"cylinder_os": -0.3, "axis_os": 90}, (OS, "cylinder -0.3 is not a multiple of 0.25")),
    ({"cylinder_od": -0.5}, (OD, "the axis (1 to 180) is required when the cylinder is not 0")),
    ({"cylinder_os": 0.75}, (OS, "the axis (1 to 180) is required when the cylinder is not 0")),
    ({"cylinder_od": -0.5, "axis_od": 0}, (OD, "the axis (1 to 180) is required")),
    ({"cylinder_od": -0.5, "axis_od": 181}, (OD, "axis 181 is outside the allowed range 1 to 180")),
    ({"cylinder_os": -0.5, "axis_os": -1}, (OS, "axis -1 is outside the allowed range 1 to 180")),
    ({"kind": "progressive", "addition_od": 0.25}, (OD, "addition 0.25 is outside")),
    ({"kind": "progressive", "addition_os": 4.25}, (OS, "addition 4.25 is outside")),
    ({"kind": "progressive", "addition_od": 2.1}, (OD, "addition 2.1 is not a multiple of 0.25")),
    ({"prism_od": 0.1, "prism_base_od": "in"}, (OD, "prism 0.1 is outside the allowed range")),
    ({"prism_os": 10.5, "prism_base_os": "out"}, (OS, "prism 10.5 is outside")),
    (
        {"prism_od": 1, "prism_base_od": "angle", "prism_angle_od": 361},
        (OD, "prism base angle 361 is outside the allowed range 0 to 360"),
    ),
    ({"pd_far_od": 19.5}, (OD, "far PD 19.5 is outside the allowed range 20 to 40")),
    ({"pd_near_os": 41}, (OS, "near PD 41 is outside")),
    ({"fitting_height_od": 9}, (OD, "fitting height 9 is outside the allowed range 10 to 30")),
    ({"fitting_height_os": 31}, (OS, "fitting height 31 is outside")),
    ({"pd_binocular": 81}, (BOTH, "binocular PD 81 is outside the allowed range 45 to 80")),
    ({"vertex_distance": 30}, (BOTH, "vertex distance 30 is outside")),
    ({"kind": "contact", "cl_base_curve_od": 7.5}, (OD, "base curve 7.5 is outside")),
    ({"kind": "contact", "cl_diameter_os": 15}, (OS, "contact lens diameter 15 is outside")),
    ({"sphere_od": 1.0, "sphere_os": 1.1}, (OS, "sphere 1.1 is not a multiple of 0.25")),
    ({"sphere_od": -40.0, "sphere_os": 40.0}, (OS, "sphere 40 is outside")),
]


@tagged("post_install", "-at_install")
class TestPrescriptionValidation(OpticsCase):
    def test_validation_table(self):
        model = self.env["optics.prescription"]
        for values, expected in CASES:
            with self.subTest(values=values):
                count = model.search_count([])
                if expected is None:  # accepted and saved as given
                    rx = self._prescription(**values)
                    self.assertEqual(model.search_count([]), count + 1)
                    for name, value in values.items():
                        if isinstance(value, float):  # stored at the field's digits
                            self.assertAlmostEqual(rx[name], value, places=6, msg=name)
                        else:
                            self.assertEqual(rx[name], value, name)
                    continue
                eye, text = expected
                with self.assertRaises(ValidationError) as caught:
                    self._prescription(**values)
                message = str(caught.exception)
                self.assertIn(f"{eye}: ", message)
                self.assertIn(text, message)
                self.assertEqual(
                    model.search_count([]), count, "a rejected prescription is not saved"
                )

    def test_eighth_dioptre_step_follows_the_company_setting(self):
        with self.assertRaises(ValidationError):
            self._prescription(sphere_od=-2.125)
        self.company.optics_sphere_step = 0.125
        rx = self._prescription(sphere_od=-2.125, sphere_os=0.375)
        self.assertEqual((rx.sphere_od, rx.sphere_os), (-2.125, 0.375))
        with self.assertRaises(ValidationError) as caught:
            self._prescription(sphere_od=-2.125, cylinder_od=-0.125, axis_od=90)
        self.assertIn("cylinder -0.125 is not a multiple of 0.25", str(caught.exception))

    def test_ranges_follow_the_company_setting(self):
        self.company.optics_sphere_max = 20
        with self.assertRaises(ValidationError) as caught:
            self._prescription(sphere_od=20.25)
        self.assertIn("sphere 20.25 is outside the allowed range -30 to 20", str(caught.exception))

    def test_every_error_is_reported_at_once(self):
        with self.assertRaises(ValidationError) as caught:
            self._prescription(sphere_od=31, cylinder_os=-0.5)
        message = str(caught.exception)
        self.assertIn("Right eye (OD): sphere 31", message)
        self.assertIn("Left eye (OS): the axis (1 to 180) is required", message)

    def test_message_is_translated(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms(["optics_core"], ["ru_RU"])
        record = self._prescription()
        with self.assertRaises(ValidationError) as caught:
            record.with_context(lang="ru_RU").write({"sphere_od": 31})
        self.assertIn("Правый глаз (OD): сфера 31", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            record.with_context(lang="ru_RU").write({"cylinder_od": -0.1, "axis_od": 90})
        # Numbers as Russian writes them, as the form shows them.
        self.assertIn("цилиндр — значение -0,1 не кратно шагу 0,25", str(caught.exception))
