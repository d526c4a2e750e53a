from . import test_access, test_fiscal_flow, test_outage, test_pos_tour
