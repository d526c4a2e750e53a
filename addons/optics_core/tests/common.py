from odoo.tests.common import TransactionCase


class OpticsCase(TransactionCase):
    """Catalogue shared by the optics tests: a customer, lenses with ranges, a frame."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Messages are asserted in English whatever the database's default language.
        cls.env["res.lang"]._activate_lang("en_US")
        cls.env = cls.env(context=dict(cls.env.context, lang="en_US"))
        cls.company = cls.env.company
        cls.partner = cls.env["res.partner"].create(
            {
                "name": "Test Customer",
                "email": "customer@example.com",
                "lang": "en_US",
                "optics_birthdate": "1980-01-01",
            }
        )
        cls.lens_sv = cls._lens("SV 1.60 Test", "single_vision", 1.6)
        cls.range_sv_stock = cls._range(cls.lens_sv, -6, 4, -2, diameter=70, supply="stock")
        cls.range_sv_lab = cls._range(cls.lens_sv, -12, 8, -6, diameter=70, supply="lab", lead=10)
        cls.lens_small = cls._lens("SV 1.50 Small Blank", "single_vision", 1.5)
        cls.range_small = cls._range(cls.lens_small, -6, 4, -2, diameter=55, supply="stock")
        cls.lens_prog = cls._lens("Progressive 1.60 Test", "progressive", 1.6)
        cls.range_prog = cls._range(
            cls.lens_prog, -8, 6, -4, add_min=0.75, add_max=3.5, diameter=70, supply="lab", lead=12
        )
        cls.frame = cls.env["product.product"].create(
            {
                "name": "Frame 52-18 Test",
                "detailed_type": "product",
                "optics_kind": "frame",
                "frame_a": 52,
                "frame_b": 38,
                "frame_dbl": 18,
                "frame_ed": 56,
                "frame_temple_length": 140,
                "frame_type": "full_rim",
                "frame_material": "plastic",
            }
        )

    @classmethod
    def _lens(cls, name, design, index):
        return cls.env["product.template"].create(
            {
                "name": name,
                "detailed_type": "product",
                "optics_kind": "lens",
                "lens_design": design,
                "lens_index": index,
                "lens_material": "high_index",
            }
        )

    @classmethod
    def _range(  # noqa: PLR0917
        cls,
        lens,
        sph_min,
        sph_max,
        cyl_min,
        add_min=0,
        add_max=0,
        diameter=65,
        supply="stock",
        lead=0,
    ):
        return cls.env["optics.lens.range"].create(
            {
                "product_tmpl_id": lens.id,
                "sphere_min": sph_min,
                "sphere_max": sph_max,
                "cylinder_min": cyl_min,
                "cylinder_max": 0,
                "addition_min": add_min,
                "addition_max": add_max,
                "diameter": diameter,
                "supply": supply,
                "lead_time_days": lead,
            }
        )

    def _prescription(self, **values):
        vals = {"partner_id": self.partner.id, "kind": "distance"}
        vals.update(values)
        return self.env["optics.prescription"].create(vals)

    def _confirmed_prescription(self, **values):
        defaults = {
            "sphere_od": -2.25,
            "cylinder_od": -0.75,
            "axis_od": 180,
            "sphere_os": -2.0,
            "cylinder_os": 0.5,
            "axis_os": 95,
            "pd_far_od": 31.5,
            "pd_far_os": 31.0,
            "pd_near_od": 30.0,
            "pd_near_os": 29.5,
            "fitting_height_od": 18,
            "fitting_height_os": 18.5,
            "pd_binocular": 62.5,
        }
        defaults.update(values)
        prescription = self._prescription(**defaults)
        prescription.action_confirm()
        return prescription
