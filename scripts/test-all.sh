#!/usr/bin/env bash
# Runs every test, in order: ruff, pylint-odoo (OCA mandatory checks), OCA's module
# and PO checks, promtool on the alert rules, the pytest suite under tests/, then the
# Odoo tests of the four modules on a fresh database where Odoo 17 is importable.
# Ends with a summary of what ran.
set -uo pipefail
source "$(dirname "$0")/venv.sh"
source "$ROOT/scripts/odoo-env.sh"
cd "$ROOT"
mkdir -p var
set +e

declare -a SUMMARY=()
failed=0
tests_passed=0
tests_failed=0
tests_skipped=0

record() { # stage, status, detail
    SUMMARY+=("$(printf '%-10s %-8s %s' "$1" "$2" "$3")")
    [ "$2" = "FAIL" ] && failed=1
}

echo "== ruff"
if ruff check .; then record ruff ok "no findings"; else record ruff FAIL "see above"; fi

echo "== pylint-odoo (OCA mandatory checks)"
if pylint --rcfile=.pylintrc-mandatory addons/*; then
    record pylint ok "addons/ clean"
else
    record pylint FAIL "see above"
fi

echo "== OCA module checks (oca-checks-odoo-module, oca-checks-po)"
oca_rc=0
oca-checks-odoo-module addons/* || oca_rc=1
oca-checks-po addons/*/i18n/*.po addons/*/i18n/*.pot || oca_rc=1
if [ $oca_rc -eq 0 ]; then record oca ok "addons/ clean"; else record oca FAIL "see above"; fi

echo "== promtool check rules, promtool test rules"
rules=deploy/prometheus/fiscal-alerts.yml
if ! command -v promtool >/dev/null; then
    echo "promtool check skipped: promtool is not installed (Debian package prometheus; .ci/run installs it where apt-get works)"
    record promtool skipped "promtool not installed"
elif promtool check rules "$rules" && promtool test rules "${rules%.yml}.test.yml"; then
    record promtool ok "$rules checked, its unit tests pass"
else
    record promtool FAIL "see above"
fi

echo "== pytest tests/"
rm -f var/pytest.xml
"$PY" -m pytest -p no:odoo -p no:cacheprovider tests --junitxml=var/pytest.xml "$@"
rc=$?
read -r p f s < <("$PY" - <<'PYEOF'
import xml.etree.ElementTree as ET
try:
    suite = ET.parse("var/pytest.xml").getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    n = int(suite.get("tests")); bad = int(suite.get("failures")) + int(suite.get("errors"))
    skip = int(suite.get("skipped"))
    print(n - bad - skip, bad, skip)
except Exception:
    print(0, 1, 0)
PYEOF
)
tests_passed=$((tests_passed + p)); tests_failed=$((tests_failed + f)); tests_skipped=$((tests_skipped + s))
if [ $rc -eq 0 ]; then record pytest ok "$p passed, $s skipped"; else record pytest FAIL "exit $rc: $f failed"; fi

echo "== Odoo tests"
if [ "$ODOO_OK" != 1 ]; then
    echo "Odoo tests skipped: $ODOO_SKIP_REASON"
    record odoo skipped "Odoo 17 not importable"
else
    db="optics_test_$(date +%Y%m%d%H%M%S)_$$"
    log="var/odoo-test.log"
    data_dir=$(mktemp -d)
    port=${ODOO_TEST_PORT:-18069}
    tags=$(echo "$OUR_MODULES" | sed 's/\([a-z0-9_]*\)/\/\1/g')
    echo "installing $OUR_MODULES (and $TEST_ALSO_MODULES) into fresh database $db (log: $log)"
    "${ODOO_CMD[@]}" -c odoo.conf --addons-path="$ODOO_ADDONS" -d "$db" --db-filter="^$db\$" \
        --data-dir="$data_dir" --workers=0 --max-cron-threads=0 --http-port="$port" \
        -i "$OUR_MODULES,$TEST_ALSO_MODULES" --test-enable --test-tags="$tags" --stop-after-init \
        --log-level=test > "$log" 2>&1
    rc=$?
    # Any error, traceback, failed test or warning not on the allowlist fails the run,
    # except py.warnings raised inside third-party packages.
    bash scripts/odoo-log-problems.sh "$log" .ci/odoo-log-allowlist.txt > var/odoo-problems.txt
    stats=$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -1)
    read -r of oe ot < <(echo "${stats:-0 failed, 0 error(s) of 0 tests}" | sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests/\1 \2 \3/')
    tests_passed=$((tests_passed + ot - of - oe)); tests_failed=$((tests_failed + of + oe))
    if [ $rc -eq 0 ] && [ ! -s var/odoo-problems.txt ] && [ "$ot" -gt 0 ]; then
        record odoo ok "$ot tests on database $db"
    else
        echo "Odoo run problems (exit $rc, ${stats:-no test statistics}):"
        head -n 60 var/odoo-problems.txt
        # Each ERROR/CRITICAL record in full, traceback included, so CI output explains itself.
        echo "-- the error records in full:"
        awk '/^[0-9]{4}-[0-9]{2}-[0-9]{2} / { keep = / (ERROR|CRITICAL) / } keep' "$log" | head -n 200
        record odoo FAIL "exit $rc, ${stats:-no tests ran}, $(wc -l < var/odoo-problems.txt) problem lines in $log"
    fi
    [ "${KEEP_TEST_DB:-0}" = 1 ] || dropdb -h 127.0.0.1 -U postgres --if-exists "$db"
    rm -rf "$data_dir"
fi

echo
echo "== summary"
printf '%s\n' "${SUMMARY[@]}"
echo "tests: $tests_passed passed, $tests_failed failed, $tests_skipped skipped"
exit $failed
