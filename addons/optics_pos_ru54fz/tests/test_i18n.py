import polib
from lxml import etree

from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationModuleReader

from .common import FiscalPosCase

# OCA's PO format (oca-checks-po) empties a translation that equals its term: these read
# the same in Russian.
SAME_IN_RUSSIAN = {"ID", "http://127.0.0.1:16732"}
SHOWN_ATTRIBUTES = ("string", "placeholder", "title", "aria-label", "help", "confirm")
PROJECT_MODELS = (
    "fiscal.device",
    "fiscal.vat.mapping",
    "fiscal.dead.letter",
    "pos.order",
    "pos.session",
    "pos.config",
    "pos.payment.method",
    "product.template",
    "res.config.settings",
)


@tagged("post_install", "-at_install")
class TestRussianTranslation(TransactionCase):
    def test_every_term_translated(self):
        catalogue = polib.pofile(file_path("optics_pos_ru54fz/i18n/ru.po"))
        template = polib.pofile(file_path("optics_pos_ru54fz/i18n/optics_pos_ru54fz.pot"))
        self.assertEqual({e.msgid for e in template}, {e.msgid for e in catalogue})
        untranslated = {e.msgid for e in catalogue if not e.msgstr.strip()}
        self.assertFalse(untranslated - SAME_IN_RUSSIAN)

    def test_terms_load_into_odoo(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms(
            ["optics_pos_ru54fz"], ["ru_RU"], overwrite=True
        )
        field = self.env["ir.model.fields"]._get("pos.order", "fiscal_state")
        self.assertEqual(field.with_context(lang="ru_RU").field_description, "Статус фискализации")
        labels = dict(
            self.env["pos.order"]
            .with_context(lang="ru_RU")
            ._fields["fiscal_state"]
            ._description_selection(self.env(context={"lang": "ru_RU"}))
        )
        self.assertEqual(labels["queued"], "В очереди")


def _catalogue():
    """English term -> Russian of every project string that has a translation."""
    catalogue = polib.pofile(file_path("optics_pos_ru54fz/i18n/ru.po"))
    return {entry.msgid: entry.msgstr for entry in catalogue if entry.msgstr.strip()}


@tagged("post_install", "-at_install")
class TestRussianScreens(FiscalPosCase):
    """What a Russian-speaking user sees: any project string still in English fails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["ir.module.module"]._load_module_terms(
            ["optics_pos_ru54fz"], ["ru_RU"], overwrite=True
        )
        cls.russian = {e: t for e, t in _catalogue().items() if e not in SAME_IN_RUSSIAN}

    def assert_russian(self, shown, where):
        english = sorted(text for text in shown if text in self.russian)
        self.assertFalse(english, f"{where}: still in English")

    def test_the_template_holds_every_string_of_the_code(self):
        template = polib.pofile(file_path("optics_pos_ru54fz/i18n/optics_pos_ru54fz.pot"))
        exported = {
            source
            for _module, _kind, _name, _res_id, source, _value, _comments in (
                TranslationModuleReader(self.env.cr, modules=["optics_pos_ru54fz"])
            )
        }
        self.assertFalse(exported - {entry.msgid for entry in template})

    def test_device_form_fields_and_selections_are_russian(self):
        env = self.env(context={"lang": "ru_RU"})
        arch = env["fiscal.device"].get_views([(False, "form")])["views"]["form"]["arch"]
        form = etree.fromstring(arch)
        shown = {text.strip() for text in form.itertext() if text.strip()}
        for node in form.iter():
            shown |= {node.get(attr) for attr in SHOWN_ATTRIBUTES if node.get(attr)}
        self.assert_russian(shown, "device form")
        for model in PROJECT_MODELS:
            ours = [n for n, f in env[model]._fields.items() if f._module == "optics_pos_ru54fz"]
            self.assertTrue(ours, model)
            for name, description in env[model].fields_get(ours).items():
                shown = {description["string"], description.get("help") or ""}
                shown |= {label for _value, label in description.get("selection") or ()}
                self.assert_russian(shown, f"{model}.{name}")

    def test_connection_test_and_till_answers_are_russian(self):
        device = self.device.with_context(lang="ru_RU")
        answer = device.action_test_connection()["params"]
        self.assertEqual(answer["title"], self.russian["Connection works"])
        self.assertIn("ATOL Web Server", answer["message"])
        self.assertIn("задач в очереди", answer["message"])
        self.emulator.stop()
        failed = device.action_test_connection()["params"]
        self.assertEqual(failed["title"], self.russian["Connection failed"])
        self.assertIn("не прошла проверку связи", failed["message"])
        self.emulator.start()

        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        self.device.invalidate_recordset()
        self.assertEqual(
            dict(device._fields["breaker_state"]._description_selection(device.env))[
                device.breaker_state
            ],
            self.russian["Closed"],
        )
        info = order.with_context(lang="ru_RU")._fiscal_info_for_ui()
        self.assertEqual(info["state_label"], self.russian["Fiscalized"])

    def test_connector_errors_are_worded_in_russian(self):
        self.device.responsible_id = new_test_user(
            self.env, "kkt_admin_ru", groups="optics_pos_ru54fz.group_fiscal_admin", lang="ru_RU"
        )
        self.emulator.set_faults(fail=1)  # an FN error (234): the register refuses it
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "failed")
        self.assertEqual(order.fiscal_error_kind, "refused:234")
        russian = order.with_context(lang="ru_RU").fiscal_error_message
        english = "The register refused the receipt (error %s); nothing was registered."
        self.assertEqual(russian, self.russian[english] % 234)
        device = self.device.with_context(lang="ru_RU")
        self.assertEqual(device.last_error_message, russian)
        self.assertIn("234", device.last_error)  # the connector's own text, kept as detail
        self.assertEqual(order.activity_ids.note.striptags(), russian)  # in the admin's language
        for kind in ("unreachable", "processing", "interrupted", "reference", "settings:12"):
            worded = device._fiscal_error_message(kind, "English detail")
            self.assertRegex(worded, "[а-яё]{4}", f"{kind}: not in Russian")

    def test_pos_strings_reach_the_till_in_russian(self):
        translations, _lang = self.env["ir.http"].get_translations_for_webclient(
            ["optics_pos_ru54fz"], "ru_RU"
        )
        served = {
            message["id"]: message["string"]
            for message in translations["optics_pos_ru54fz"]["messages"]
        }
        catalogue = polib.pofile(file_path("optics_pos_ru54fz/i18n/ru.po"))
        for entry in catalogue:
            is_pos = any("/static/src/" in path for path, _line in entry.occurrences)
            if is_pos and entry.msgid in self.russian:
                self.assertEqual(served.get(entry.msgid), entry.msgstr, entry.msgid)
