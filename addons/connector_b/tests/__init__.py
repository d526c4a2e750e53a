from . import test_broken_inputs, test_import, test_rules
