from . import (
    test_access,
    test_atol_online,
    test_drain_run,
    test_fiscal_flow,
    test_fiscal_guard,
    test_i18n,
    test_metrics,
    test_neutralize,
    test_outage,
    test_pos_tour,
    test_recovery,
    test_shift_per_register,
)
