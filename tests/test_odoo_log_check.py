"""The Odoo log check of scripts/test-all.sh: which log lines fail the run."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "odoo-log-problems.sh"
PREFIX = "2026-12-03 17:00:00,123 4242 WARNING optics_test py.warnings: "

THIRD_PARTY = [
    PREFIX + "/usr/lib/python3/dist-packages/vobject/base.py:1040: DeprecationWarning: "
    "invalid escape sequence",
    PREFIX + "/work/main/.venv/lib/python3.11/site-packages/vobject/icalendar.py:12: "
    "DeprecationWarning: datetime.utcfromtimestamp() is deprecated",
]
OURS_OR_ODOOS = [
    PREFIX + "/work/main/addons/optics_core/models/optics_lens.py:10: DeprecationWarning: "
    "see /usr/lib/python3/site-packages/vobject/base.py:4: for details",
    PREFIX + "/work/odoo17/odoo/models.py:5000: DeprecationWarning: read_group is deprecated",
    PREFIX + "/usr/lib/python3/dist-packages/odoo/addons/mail/models/mail_thread.py:7: "
    "DeprecationWarning: an Odoo installed as a package is still Odoo",
    PREFIX + "/srv/venv/lib/python3.11/site-packages/fiscal_connector/outbox.py:3: "
    "ResourceWarning: unclosed file",
    PREFIX + "<frozen importlib._bootstrap>:241: DeprecationWarning: builtin type has no module",
    "2026-12-03 17:00:00,124 4242 WARNING optics_test odoo.addons.base.models.ir_module: "
    "a module under /usr/lib/python3/site-packages/ is not a py.warnings record",
    "2026-12-03 17:00:00,125 4242 ERROR optics_test odoo.sql_db: bad query",
    "FAIL: TestFiscalFlow.test_sale",
]
HARMLESS = [
    "2026-12-03 17:00:00,126 4242 INFO optics_test odoo.modules.loading: 4 modules loaded",
]


def check(tmp_path, lines, allowlist="^#\n"):
    log = tmp_path / "odoo.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    allow = tmp_path / "allowlist.txt"
    allow.write_text(allowlist, encoding="utf-8")
    done = subprocess.run(  # noqa: S603 - the project's own script
        ["bash", str(SCRIPT), str(log), str(allow)], capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines(), done.stderr


def test_third_party_py_warnings_are_tolerated_and_counted(tmp_path):
    problems, note = check(tmp_path, THIRD_PARTY + HARMLESS)
    assert problems == []
    assert note.strip() == "2 py.warnings of third-party packages tolerated"


def test_warnings_of_the_project_and_odoo_and_errors_are_problems(tmp_path):
    problems, note = check(tmp_path, THIRD_PARTY + OURS_OR_ODOOS + HARMLESS)
    assert sorted(problems) == sorted(OURS_OR_ODOOS)
    assert "2 py.warnings" in note


def test_allowlist_still_applies(tmp_path):
    problems, _note = check(tmp_path, OURS_OR_ODOOS[:2], allowlist="read_group is deprecated\n")
    assert problems == OURS_OR_ODOOS[:1]
