from . import (
    connector_b_pending_change,
    connector_b_profile,
    connector_b_profile_line,
    connector_b_run,
    connector_b_run_line,
    ir_attachment,
    product_supplierinfo,
    product_template,
    res_company,
    res_config_settings,
)
