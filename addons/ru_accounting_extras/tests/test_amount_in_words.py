from decimal import Decimal

from odoo.tests import TransactionCase, tagged

from ..amount_in_words import KOPECK_FORMS, RUBLE_FORMS, amount_in_words_ru, plural_form


@tagged("post_install", "-at_install")
class TestAmountInWords(TransactionCase):
    def test_table_of_sums(self):
        table = {
            "0": "Ноль рублей 00 копеек",
            "0.01": "Ноль рублей 01 копейка",
            "1": "Один рубль 00 копеек",
            "2": "Два рубля 00 копеек",
            "5": "Пять рублей 00 копеек",
            "11": "Одиннадцать рублей 00 копеек",
            "12.02": "Двенадцать рублей 02 копейки",
            "14.14": "Четырнадцать рублей 14 копеек",
            "21": "Двадцать один рубль 00 копеек",
            "22": "Двадцать два рубля 00 копеек",
            "25": "Двадцать пять рублей 00 копеек",
            "101": "Сто один рубль 00 копеек",
            "111.11": "Сто одиннадцать рублей 11 копеек",
            "1234.50": "Одна тысяча двести тридцать четыре рубля 50 копеек",
            "2000.21": "Две тысячи рублей 21 копейка",
            "1000000.01": "Один миллион рублей 01 копейка",
            "99999999.99": "Девяносто девять миллионов девятьсот девяносто девять тысяч "
            "девятьсот девяносто девять рублей 99 копеек",
        }
        for amount, words in table.items():
            with self.subTest(amount=amount):
                self.assertEqual(amount_in_words_ru(Decimal(amount)), words)

    def test_declension(self):
        expected = {
            0: "рублей", 1: "рубль", 2: "рубля", 4: "рубля", 5: "рублей", 11: "рублей",
            12: "рублей", 14: "рублей", 20: "рублей", 21: "рубль", 23: "рубля",
            100: "рублей", 101: "рубль", 111: "рублей", 1001: "рубль", 1012: "рублей",
        }
        for number, form in expected.items():
            with self.subTest(number=number):
                self.assertEqual(plural_form(number, RUBLE_FORMS), form)
        self.assertEqual(plural_form(31, KOPECK_FORMS), "копейка")
        self.assertEqual(plural_form(43, KOPECK_FORMS), "копейки")
        self.assertEqual(plural_form(99, KOPECK_FORMS), "копеек")

    def test_rounds_half_up_and_refuses_negative(self):
        self.assertEqual(amount_in_words_ru(Decimal("1.005")), "Один рубль 01 копейка")
        with self.assertRaises(ValueError):
            amount_in_words_ru(Decimal("-1"))
