"""Russian amount in words for cash orders (KO-1, KO-2) and the cash book.

The rubles are spelled by num2words (lang="ru"); the kopecks stay in digits,
as the unified forms 0310001/0310002 print them ("... рублей 05 копеек").
"""
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

RUBLE_FORMS = ("рубль", "рубля", "рублей")
KOPECK_FORMS = ("копейка", "копейки", "копеек")
KOPECK = Decimal("0.01")


def plural_form(number, forms):
    """Pick the Russian noun form for an integer: 1 рубль, 2 рубля, 5 рублей.

    ``forms`` is (one, few, many). 11-14 take "many" whatever the last digit.
    """
    number = abs(int(number))
    if 11 <= number % 100 <= 14:
        return forms[2]
    last = number % 10
    if last == 1:
        return forms[0]
    if 2 <= last <= 4:
        return forms[1]
    return forms[2]


def amount_in_words_ru(amount):
    """'Одна тысяча двести тридцать четыре рубля 50 копеек' for Decimal('1234.50').

    ``amount`` must be a Decimal (or an int / str convertible to one) and not
    negative: cash orders carry positive sums only.
    """
    amount = Decimal(amount).quantize(KOPECK, rounding=ROUND_HALF_UP)
    if amount < 0:
        raise ValueError("A cash amount cannot be negative: %s" % amount)
    rubles = int(amount)
    kopecks = int((amount - rubles) * 100)
    words = num2words(rubles, lang="ru")
    text = "%s %s %02d %s" % (
        words,
        plural_form(rubles, RUBLE_FORMS),
        kopecks,
        plural_form(kopecks, KOPECK_FORMS),
    )
    return text[:1].upper() + text[1:]
