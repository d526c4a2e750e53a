# Sourced by the other scripts: makes .venv (seeing the system's packages, so an
# Odoo 17 installed there is importable) and installs the requirements once per
# change of the requirement files.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
    python3 -m venv --system-site-packages "$VENV"
fi
stamp="$VENV/.requirements.sha"
want=$(cat "$ROOT"/requirements*.txt "$ROOT"/fiscal_connector/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$ROOT" && "$PY" -m pip install --quiet --disable-pip-version-check -r requirements-test.txt)
    echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
