"""17.0.1.1.0, before the models load: tolerance lines select by three ranges
(meridian, cylinder, nominal value) and by lens design, measurements keep their
references apart, and the ISO profile becomes the ISO 8980-1/-2 one.

Columns are made and filled here so that the ORM finds them and recomputes
nothing: results of quality checks already done stay as they were judged.
"""

import logging

_logger = logging.getLogger(__name__)

# Which of the new ranges the old single power range (power_from/power_to) was.
OLD_RANGE = {"sphere": "meridian", "cylinder": "cylinder", "axis": "cylinder", "addition": "value"}


def _columns(cr, table):
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table])
    return {row[0] for row in cr.fetchall()}


def _migrate_lines(cr):
    if "power_from" not in _columns(cr, "optics_tolerance_line"):
        return
    cr.execute(
        """ALTER TABLE optics_tolerance_line
            ADD COLUMN IF NOT EXISTS design varchar,
            ADD COLUMN IF NOT EXISTS meridian_from numeric,
            ADD COLUMN IF NOT EXISTS meridian_to numeric,
            ADD COLUMN IF NOT EXISTS cylinder_from numeric,
            ADD COLUMN IF NOT EXISTS cylinder_to numeric,
            ADD COLUMN IF NOT EXISTS value_from numeric,
            ADD COLUMN IF NOT EXISTS value_to numeric,
            ADD COLUMN IF NOT EXISTS tolerance_per_dioptre numeric"""
    )
    cr.execute(
        """UPDATE optics_tolerance_line SET design = 'all', tolerance_per_dioptre = 0,
            meridian_from = 0, meridian_to = 99, cylinder_from = 0, cylinder_to = 99,
            value_from = 0, value_to = 99"""
    )
    for quantity, dimension in OLD_RANGE.items():
        cr.execute(
            f"UPDATE optics_tolerance_line SET {dimension}_from = power_from,"  # noqa: S608
            f" {dimension}_to = power_to WHERE quantity = %s",
            [quantity],
        )
    # The standards' own lines are loaded again from the data file.
    cr.execute(
        """DELETE FROM optics_tolerance_line WHERE profile_id IN (
            SELECT res_id FROM ir_model_data WHERE module = 'optics_core'
            AND model = 'optics.tolerance.profile'
            AND name IN ('tolerance_ansi_z80_1', 'tolerance_iso_21987'))"""
    )
    cr.execute(
        "DELETE FROM ir_model_data WHERE module = 'optics_core' AND model = 'optics.tolerance.line'"
    )
    cr.execute(
        """UPDATE ir_model_data SET name = 'tolerance_iso_8980'
            WHERE module = 'optics_core' AND name = 'tolerance_iso_21987'"""
    )
    # The profiles were loaded with noupdate; the standards' tables are now updated.
    cr.execute(
        """UPDATE ir_model_data SET noupdate = false WHERE module = 'optics_core'
            AND name IN ('tolerance_ansi_z80_1', 'tolerance_iso_8980')"""
    )
    _logger.info("optics_core: tolerance lines moved to meridian/cylinder/value ranges")


def _migrate_measurements(cr):
    if "reference" not in _columns(cr, "optics_job_measurement"):
        return
    cr.execute(
        """ALTER TABLE optics_job_measurement
            ADD COLUMN IF NOT EXISTS design varchar,
            ADD COLUMN IF NOT EXISTS reference_meridian numeric,
            ADD COLUMN IF NOT EXISTS reference_cylinder numeric,
            ADD COLUMN IF NOT EXISTS reference_value numeric,
            ADD COLUMN IF NOT EXISTS is_checked boolean,
            ADD COLUMN IF NOT EXISTS deviation numeric"""
    )
    cr.execute(
        """UPDATE optics_job_measurement m SET design = CASE WHEN rx.kind = 'progressive'
                THEN 'progressive' ELSE 'single_vision' END
            FROM mrp_production job
            LEFT JOIN optics_prescription rx ON rx.id = job.optics_prescription_id
            WHERE job.id = m.production_id"""
    )
    cr.execute(
        """UPDATE optics_job_measurement SET
            reference_meridian = CASE WHEN quantity = 'sphere' THEN reference ELSE 0 END,
            reference_cylinder = CASE WHEN quantity IN ('cylinder', 'axis') THEN reference
                ELSE 0 END,
            reference_value = CASE WHEN quantity = 'addition' THEN reference ELSE 0 END,
            is_checked = COALESCE(tolerance, 0) != 0,
            deviation = CASE WHEN NOT COALESCE(is_measured, false) THEN 0
                WHEN quantity = 'axis' THEN LEAST(MOD(ABS(ROUND(measured - ordered)), 180),
                    180 - MOD(ABS(ROUND(measured - ordered)), 180))
                ELSE ABS(measured - ordered) END"""
    )


def migrate(cr, version):
    if not version:
        return
    _migrate_lines(cr)
    _migrate_measurements(cr)
