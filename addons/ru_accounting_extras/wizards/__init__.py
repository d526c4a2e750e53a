from . import ru_cash_book_wizard, ru_gross_profit_export
