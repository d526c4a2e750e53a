"""A cylinder needs its axis 1..180: on create, write and confirm, through the
form and through RPC, as an optician (not an administrator)."""

import importlib.util
from xmlrpc.client import Fault

from odoo.exceptions import ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools.misc import file_path

from .common import OpticsCase

REQUIRED = "the axis (1 to 180) is required when the cylinder is not 0"
REQUIRED_RU = "ось (от 1 до 180) обязательна, если цилиндр не равен 0"


def _load_ru(env):
    env["res.lang"]._activate_lang("ru_RU")
    env["ir.module.module"]._load_module_terms(["optics_core"], ["ru_RU"])


@tagged("post_install", "-at_install")
class TestAxisRequired(OpticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.optician = new_test_user(
            cls.env, "axis_optician", groups="optics_core.group_optics_optician"
        )
        cls.model = cls.env["optics.prescription"].with_user(cls.optician)

    def _form(self):
        form = Form(self.model)
        form.partner_id = self.partner
        form.sphere_od = -1.0
        return form

    def test_form_without_axis_is_refused(self):
        # The form sends an empty integer as 0, as the web client does: the server refuses.
        form = self._form()
        form.cylinder_od = -0.75
        self.assertEqual(form.axis_od, 0)
        count = self.model.search_count([])
        with self.assertRaises(ValidationError) as caught:
            form.save()
        self.assertIn(f"Right eye (OD): {REQUIRED}", str(caught.exception))
        self.assertEqual(self.model.search_count([]), count)

    def test_form_with_axis_180_is_saved_as_180(self):
        form = self._form()
        form.cylinder_od = -0.75
        form.axis_od = 180
        rx = form.save()
        self.assertEqual((rx.cylinder_od, rx.axis_od), (-0.75, 180))
        self.assertEqual(rx.transposed_axis_od, 90)

    def test_form_write_removing_the_axis_is_refused(self):
        form = self._form()
        form.cylinder_os = 1.25
        form.axis_os = 95
        rx = form.save()
        with self.assertRaises(ValidationError) as caught, Form(rx) as edit:
            edit.axis_os = 0
        self.assertIn(f"Left eye (OS): {REQUIRED}", str(caught.exception))
        rx.invalidate_recordset()
        self.assertEqual(rx.axis_os, 95)

    def test_write_and_create_refuse_axis_0_and_keep_1_to_180(self):
        rx = self.model.create({"partner_id": self.partner.id, "cylinder_od": -0.5, "axis_od": 1})
        for values in (
            {"axis_od": 0},
            {"axis_od": False},
            {"cylinder_os": -0.25},
            {"cylinder_os": -0.25, "axis_os": 0},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                rx.write(values)
            self.assertIn(REQUIRED, str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            rx.write({"axis_od": 181})
        self.assertIn("axis 181 is outside the allowed range 1 to 180", str(caught.exception))
        rx.write({"axis_od": 180, "cylinder_os": 0, "axis_os": 0})
        self.assertEqual(rx.axis_od, 180)

    def test_confirm_checks_again(self):
        # A draft saved before the rule (or by SQL) cannot be confirmed without its axis.
        rx = self.model.create({"partner_id": self.partner.id, "cylinder_od": -0.5, "axis_od": 90})
        self.env.cr.execute("UPDATE optics_prescription SET axis_od = 0 WHERE id = %s", [rx.id])
        rx.invalidate_recordset()
        with self.assertRaises(ValidationError) as caught:
            rx.action_confirm()
        self.assertIn(REQUIRED, str(caught.exception))
        self.assertEqual(rx.state, "draft")

    def test_message_is_translated(self):
        _load_ru(self.env)
        with self.assertRaises(ValidationError) as caught:
            self.model.with_context(lang="ru_RU").create(
                {"partner_id": self.partner.id, "cylinder_od": -0.5}
            )
        self.assertIn(f"Правый глаз (OD): {REQUIRED_RU}", str(caught.exception))

    def test_migration_keeps_what_went_to_the_lab(self):
        """17.0.1.1.0: a confirmed cylinder with axis 0 or empty went to the lab as 180
        and keeps 180; a draft keeps 0 and must get its axis before confirming."""
        confirmed = self._confirmed_prescription(cylinder_os=-0.5, axis_os=90)
        draft = self._prescription(cylinder_od=-0.5, axis_od=90)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE optics_prescription SET axis_os = NULL WHERE id = %s;"
            "UPDATE optics_prescription SET axis_od = 0 WHERE id = %s",
            [confirmed.id, draft.id],
        )
        path = file_path("optics_core/migrations/17.0.1.1.0/post-migrate.py")
        spec = importlib.util.spec_from_file_location("optics_core_post_migrate", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate_axes(self.env.cr)
        self.env.invalidate_all()
        self.assertEqual(confirmed.axis_os, 180)
        self.assertEqual(confirmed.axis_od, 180)  # set before: untouched
        self.assertEqual(draft.axis_od, 0)
        with self.assertRaises(ValidationError):
            draft.action_confirm()


@tagged("post_install", "-at_install")
class TestAxisRequiredRpc(HttpCase):
    """The same rule through XML-RPC, as a client of the lab or another system calls it."""

    def setUp(self):
        super().setUp()
        self.optician = new_test_user(
            self.env, "rpc_optician", groups="optics_core.group_optics_optician"
        )
        self.partner = self.env["res.partner"].create({"name": "RPC Customer"})
        _load_ru(self.env)

    def _call(self, method, args, lang="en_US"):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname,
            self.optician.id,
            "rpc_optician",
            "optics.prescription",
            method,
            args,
            {"context": {"lang": lang}},
        )

    def _refused(self, method, args, lang="en_US"):
        with self.assertRaises(Fault) as caught:
            self._call(method, args, lang)
        return caught.exception.faultString

    def test_create_write_confirm_over_rpc(self):
        vals = {"partner_id": self.partner.id, "sphere_od": -1.0, "cylinder_od": -0.5}
        self.assertIn(REQUIRED, self._refused("create", [vals]))
        self.assertIn(REQUIRED_RU, self._refused("create", [dict(vals, axis_od=0)], "ru_RU"))
        rx_id = self._call("create", [dict(vals, axis_od=180)])
        self.assertIn(REQUIRED, self._refused("write", [[rx_id], {"axis_od": 0}]))
        self.assertIn(REQUIRED, self._refused("write", [[rx_id], {"cylinder_os": 0.75}]))
        self.env.cr.execute("UPDATE optics_prescription SET axis_od = 0 WHERE id = %s", [rx_id])
        self.assertIn(REQUIRED, self._refused("action_confirm", [[rx_id]]))
        self.env.cr.execute("UPDATE optics_prescription SET axis_od = 180 WHERE id = %s", [rx_id])
        self._call("action_confirm", [[rx_id]])
        [record] = self._call("read", [[rx_id], ["state", "axis_od"]])
        self.assertEqual((record["state"], record["axis_od"]), ("confirmed", 180))
