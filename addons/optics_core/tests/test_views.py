from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import OpticsCase


@tagged("post_install", "-at_install")
class TestViews(OpticsCase):
    """Every window action of the Optics menu opens for the people who use it."""

    def test_menu_actions_load_for_optician_and_lab(self):
        optician = new_test_user(
            self.env, "views_optician", groups="optics_core.group_optics_optician"
        )
        lab = new_test_user(self.env, "views_lab", groups="optics_core.group_optics_lab")
        root = self.env.ref("optics_core.menu_optics_root")
        for user in (optician, lab):
            menus = self.env["ir.ui.menu"].with_user(user).search([("id", "child_of", root.id)])
            actions = [
                menu.action
                for menu in menus
                if menu.action and menu.action._name == "ir.actions.act_window"
            ]
            self.assertTrue(actions, user.login)
            for action in actions:
                model = self.env[action.res_model].with_user(user)
                if not model.check_access_rights("read", raise_exception=False):
                    continue
                modes = [mode for mode in action.view_mode.split(",") if mode != "calendar"]
                views = model.get_views([(False, mode) for mode in modes] + [(False, "search")])
                self.assertEqual(set(views["views"]), set(modes) | {"search"}, action.name)
                model.search(safe_eval(action.domain or "[]"), limit=1)

    def test_job_wizard_and_forms_load(self):
        optician = new_test_user(
            self.env, "views_optician2", groups="optics_core.group_optics_optician"
        )
        for model in (
            "optics.glasses.job.wizard",
            "optics.prescription",
            "mrp.production",
            "product.template",
            "res.partner",
        ):
            views = self.env[model].with_user(optician).get_views([(False, "form")])
            self.assertIn("form", views["views"], model)
        settings = self.env["res.config.settings"].get_views([(False, "form")])
        self.assertIn("optics_sphere_step", settings["views"]["form"]["arch"])
