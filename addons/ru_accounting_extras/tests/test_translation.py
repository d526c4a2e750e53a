from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestRussianTranslation(TransactionCase):
    """i18n/ru.po loads and reaches labels, selections, views and error messages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["ir.module.module"]._load_module_terms(
            ["ru_accounting_extras"], ["ru_RU"], overwrite=True
        )
        cls.ru_env = cls.env(context=dict(cls.env.context, lang="ru_RU"))

    def test_labels_and_selections(self):
        fields = self.ru_env["ru.cash.order"].fields_get(["amount_in_words", "order_type"])
        self.assertEqual(fields["amount_in_words"]["string"], "Сумма прописью")
        self.assertIn(("in", "Приходный (КО-1)"), fields["order_type"]["selection"])
        action = self.ru_env.ref("ru_accounting_extras.action_ru_cash_order")
        self.assertEqual(action.name, "Кассовые ордера")

    def test_error_message_in_russian(self):
        with self.assertRaises(ValidationError) as caught:
            self.ru_env["ru.gross.profit.export"].create(
                {"date_from": "2026-03-02", "date_to": "2026-03-01"}
            )
        self.assertEqual(
            str(caught.exception), "Дата начала не может быть позже даты окончания."
        )
