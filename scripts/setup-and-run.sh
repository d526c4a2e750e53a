#!/usr/bin/env bash
# Sets up the suite and runs its main job: Odoo 17 with the four modules on a
# demo database where Odoo is importable, else the fiscal connector's own demo.
set -euo pipefail
source "$(dirname "$0")/venv.sh"
source "$ROOT/scripts/odoo-env.sh"
cd "$ROOT"
if [ "$ODOO_OK" != 1 ]; then
    echo "Odoo 17 not found ($ODOO_SKIP_REASON); running the fiscal connector demo instead."
    exec fiscal-connector demo --state-dir var/demo
fi
db=$(sed -n 's/^db_name *= *//p' odoo.conf)
if ! psql -h 127.0.0.1 -U odoo -lqt | cut -d'|' -f1 | grep -qw "$db"; then
    echo "creating database $db with demo data and the four modules"
    "${ODOO_CMD[@]}" -c odoo.conf --addons-path="$ODOO_ADDONS" -d "$db" -i "$OUR_MODULES" \
        --workers=0 --max-cron-threads=0 --stop-after-init
fi
echo "starting Odoo on http://127.0.0.1:$(sed -n 's/^http_port *= *//p' odoo.conf) (login admin / admin)"
exec "${ODOO_CMD[@]}" -c odoo.conf --addons-path="$ODOO_ADDONS" -d "$db"
