"""17.0.1.2.0: prescription numbers without gaps, powers with the decimals their step needs.

The prescription sequence becomes a no-gap one (a number taken by a save that fails is
given back); its next number carries over from the PostgreSQL sequence it leaves. The
new "Optics Power" precision is set from the companies' steps.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    sequence = env.ref("optics_core.seq_optics_prescription", False)
    if sequence and sequence.implementation != "no_gap":
        sequence.write({"implementation": "no_gap", "number_next": sequence.number_next_actual})
    env["res.company"].search([])._optics_sync_power_digits()
