from . import (
    account_journal,
    pos_config,
    pos_session,
    res_company,
    res_config_settings,
    ru_cash_order,
    ru_cash_store,
    ru_cash_transfer,
    ru_gross_profit_report,
)
