from . import (
    test_amount_in_words,
    test_cash_orders,
    test_pos_gross_profit,
    test_translation,
    test_z_register_counters,
)
