{
    "name": "Optics POS 54-FZ",
    "summary": "Every paid POS order fiscalized once through ATOL (FFD 1.2)",
    "version": "17.0.1.3.0",
    "category": "Sales/Point of Sale",
    "author": "Optics Retail Suite",
    "website": "https://github.com/optics-retail/optics-suite",
    "license": "LGPL-3",
    "depends": ["mail", "point_of_sale", "optics_core"],
    "external_dependencies": {
        "python": [
            "fiscal_connector",
            "pybreaker",
            "redis",
            "redis_lock",
            "requests",
            "orjson",
            "prometheus_client",
            "stdnum",
            "qrcode",
        ]
    },
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/ir_config_parameter_data.xml",
        "data/fiscal_vat_mapping_data.xml",
        "data/mail_activity_type_data.xml",
        "views/fiscal_device_views.xml",
        "views/fiscal_vat_mapping_views.xml",
        "wizards/fiscal_dead_letter_views.xml",
        "views/pos_order_views.xml",
        "views/pos_session_views.xml",
        "views/res_config_settings_views.xml",
        "views/product_views.xml",
    ],
    "assets": {
        "point_of_sale._assets_pos": [
            "optics_pos_ru54fz/static/src/**/*",
        ],
        "web.assets_tests": [
            "optics_pos_ru54fz/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "application": False,
}
