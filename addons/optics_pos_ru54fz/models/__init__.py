# The mixin first: the models below inherit it.
from . import fiscal_guard_mixin  # isort: skip
from . import (
    fiscal_device,
    fiscal_vat_mapping,
    mrp_production,
    pos_config,
    pos_order,
    pos_order_fiscal_key,
    pos_order_receipt,
    pos_payment_method,
    pos_session,
    product_template,
    res_config_settings,
)
