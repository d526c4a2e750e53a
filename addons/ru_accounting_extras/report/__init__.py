from . import report_cash_book
