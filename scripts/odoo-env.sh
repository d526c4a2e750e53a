# Sourced: finds an importable Odoo 17 and its addons folders.
# Sets ODOO_OK=1 and ODOO_ADDONS (Odoo's addons + ours), or ODOO_SKIP_REASON.
ODOO_OK=0
ODOO_SKIP_REASON=""
odoo_serie=$("$PY" -c 'import odoo.release as r; print(r.serie)' 2>/dev/null || true)
if [ -z "$odoo_serie" ]; then
    ODOO_SKIP_REASON="'import odoo' fails in $PY: install Odoo 17 from its official source (git clone -b 17.0 https://github.com/odoo/odoo && pip install -r odoo/requirements.txt -e ./odoo)"
elif [ "$odoo_serie" != "17.0" ]; then
    ODOO_SKIP_REASON="'import odoo' reports $odoo_serie, not 17.0"
else
    ODOO_OK=1
    # An editable (source) install keeps most addons in <source>/addons, beside the odoo package.
    odoo_src=$("$PY" -c 'import odoo, os; print(os.path.dirname(os.path.dirname(odoo.__file__)))')
    ODOO_ADDONS="${ODOO_ADDONS_PATH:-}"
    if [ -z "$ODOO_ADDONS" ] && [ -d "$odoo_src/addons/point_of_sale" ]; then
        ODOO_ADDONS="$odoo_src/addons"
    fi
    ODOO_ADDONS="${ODOO_ADDONS:+$ODOO_ADDONS,}$ROOT/addons"
    # Start Odoo through its launcher where there is one: in prefork mode Odoo
    # re-runs sys.argv[0] for its gevent worker, which `python -m odoo` breaks.
    ODOO_CMD=("$PY" -m odoo)
    [ -f "$odoo_src/odoo-bin" ] && ODOO_CMD=("$PY" "$odoo_src/odoo-bin")
    # Odoo refuses the postgres superuser: it connects as the role odoo.conf names.
    psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'odoo'" | grep -q 1 \
        || psql -h 127.0.0.1 -U postgres -qc "CREATE ROLE odoo LOGIN CREATEDB"
fi
OUR_MODULES="optics_core,optics_pos_ru54fz,ru_accounting_extras,connector_b"
# Odoo's own POS discounts and rewards, beside ours in the test database: the fiscal
# receipts must be right with them installed (their own tests are not run).
TEST_ALSO_MODULES="pos_discount,pos_loyalty"
