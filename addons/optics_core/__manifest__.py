{
    "name": "Optics Core",
    "summary": "Prescriptions, lens and frame products, glasses jobs on manufacturing orders",
    "version": "17.0.1.0.0",
    "category": "Sales/Optics",
    "author": "Optics Retail Suite",
    "website": "https://github.com/optics-retail/optics-suite",
    "license": "LGPL-3",
    "depends": ["product", "stock", "mrp", "mail"],
    "external_dependencies": {"python": ["stdnum"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
    ],
    "installable": True,
    "application": True,
}
