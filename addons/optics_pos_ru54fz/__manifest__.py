{
    "name": "Optics POS 54-FZ",
    "summary": "Every paid POS order fiscalized once through ATOL (FFD 1.2)",
    "version": "17.0.1.0.0",
    "category": "Sales/Point of Sale",
    "author": "Optics Retail Suite",
    "website": "https://github.com/optics-retail/optics-suite",
    "license": "LGPL-3",
    "depends": ["point_of_sale", "optics_core"],
    "external_dependencies": {
        "python": [
            "fiscal_connector",
            "pybreaker",
            "redis",
            "redis_lock",
            "requests",
            "stdnum",
            "qrcode",
        ]
    },
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
    ],
    "installable": True,
    "application": False,
}
