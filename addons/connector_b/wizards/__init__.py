from . import connector_b_import_wizard
