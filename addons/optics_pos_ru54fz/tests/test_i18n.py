import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path

# OCA's PO format (oca-checks-po) empties a translation that equals its term: these read
# the same in Russian.
SAME_IN_RUSSIAN = {"ID", "http://127.0.0.1:16732"}


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
