from . import test_broken_inputs, test_fiscal_refusal, test_import, test_rules
