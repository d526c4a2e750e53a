{
    "name": "Supplier Catalogue Import",
    "summary": "Supplier price lists from XLSX and CSV with preview and all-or-nothing runs",
    "version": "17.0.1.0.0",
    "category": "Inventory/Purchase",
    "author": "Optics Retail Suite",
    "website": "https://github.com/optics-retail/optics-suite",
    "license": "LGPL-3",
    "depends": ["product", "optics_core"],
    "external_dependencies": {"python": ["openpyxl", "stdnum"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
    ],
    "installable": True,
    "application": False,
}
