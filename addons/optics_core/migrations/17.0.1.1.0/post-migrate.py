"""17.0.1.1.0, after the models load: the axis of a cylinder is 1..180, and
0 (or empty) now means "no axis".

Before, an empty axis was stored as 0 by the web client and 0 was read as 180:
a prescription that was confirmed that way went to the lab as 180. Those keep
180, the value they were made with; drafts keep 0, so confirming them asks for
the axis. Old columns the models no longer have are dropped.
"""

import logging

_logger = logging.getLogger(__name__)


def migrate_axes(cr):
    for eye in ("od", "os"):
        cr.execute(
            f"""UPDATE optics_prescription SET axis_{eye} = 180
                WHERE state != 'draft' AND COALESCE(cylinder_{eye}, 0) != 0
                AND COALESCE(axis_{eye}, 0) = 0"""  # noqa: S608
        )
        _logger.info(
            "optics_core: %s prescriptions without an axis on %s kept at 180",
            cr.rowcount,
            eye.upper(),
        )
        cr.execute(
            f"UPDATE optics_prescription SET axis_{eye} = 0 WHERE axis_{eye} IS NULL"  # noqa: S608
        )


def migrate(cr, version):
    if not version:
        return
    migrate_axes(cr)
    cr.execute("ALTER TABLE optics_tolerance_line DROP COLUMN IF EXISTS power_from")
    cr.execute("ALTER TABLE optics_tolerance_line DROP COLUMN IF EXISTS power_to")
    cr.execute("ALTER TABLE optics_job_measurement DROP COLUMN IF EXISTS reference")
