{
    "name": "Russian Accounting Extras",
    "summary": "Store cash accounts, cash orders KO-1/KO-2, cash book KO-4, gross profit",
    "version": "17.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "Optics Retail Suite",
    "website": "https://github.com/optics-retail/optics-suite",
    "license": "LGPL-3",
    "depends": ["account", "point_of_sale", "optics_pos_ru54fz"],
    "external_dependencies": {"python": ["num2words", "xlsxwriter"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
    ],
    "installable": True,
    "application": False,
}
