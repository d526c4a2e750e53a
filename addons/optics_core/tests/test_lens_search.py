from odoo.tests import tagged

from .common import OpticsCase


@tagged("post_install", "-at_install")
class TestLensSearch(OpticsCase):
    def _search(self, *power, **kwargs):
        ranges = self.env["optics.lens.range"].search_for_power(*power, **kwargs)
        return ranges & (
            self.range_sv_stock | self.range_sv_lab | self.range_small | self.range_prog
        )

    def test_ranges_covering_a_power_fastest_first(self):
        self.assertEqual(self._search(-2.0, -0.5).mapped("lead_time_days"), [0, 0, 10])
        self.assertEqual(self._search(-9.0, -0.5), self.range_sv_lab)
        self.assertEqual(self._search(-9.0, -0.5)[:1].lead_time_days, 10)
        self.assertFalse(self._search(-14.0, 0))
        self.assertEqual(self._search(-2.0, -3.0), self.range_sv_lab)
        self.assertEqual(
            self.range_sv_lab.display_name, "SV 1.60 Test [-12.00..+8.00 / -6.00, 70 mm, 10 d]"
        )

    def test_addition_selects_progressive_lenses(self):
        self.assertEqual(self._search(1.0, 0, 2.0), self.range_prog)
        self.assertNotIn(self.range_prog, self._search(1.0, 0, 0))

    def test_minimum_diameter_and_archived_lenses(self):
        self.assertNotIn(self.range_small, self._search(-2.0, 0, min_diameter=60))
        self.lens_sv.active = False
        self.assertEqual(self._search(-2.0, 0), self.range_small)

    def test_prescription_search_per_eye_uses_minus_cylinder_and_near_power(self):
        # OD +1.00 +0.50 x 90 is -> +1.50 -0.50 x 180: inside the stock range
        rx = self._confirmed_prescription(
            sphere_od=1.0, cylinder_od=0.5, axis_od=90, sphere_os=-10.0, cylinder_os=0, axis_os=0
        )
        od = rx._matching_lens_ranges("od") & (self.range_sv_stock | self.range_sv_lab)
        os_ = rx._matching_lens_ranges("os") & (self.range_sv_stock | self.range_sv_lab)
        self.assertEqual(od, self.range_sv_stock | self.range_sv_lab)
        self.assertEqual(os_, self.range_sv_lab)
        action = rx.action_lenses_os()
        self.assertEqual(
            self.env["optics.lens.range"].search(action["domain"]) & self.range_sv_lab,
            self.range_sv_lab,
        )
        near = self._confirmed_prescription(
            kind="near",
            sphere_od=3.0,
            addition_od=2.0,
            sphere_os=3.0,
            addition_os=2.0,
            cylinder_os=0,
            axis_os=0,
            cylinder_od=0,
        )
        # near power +5.00 is beyond the +4.00 stock range: only the lab range makes it
        near_ranges = near._matching_lens_ranges("od") & (self.range_sv_stock | self.range_sv_lab)
        self.assertEqual(near_ranges, self.range_sv_lab)
