#!/usr/bin/env bash
# Prints the problem lines of an Odoo log: errors, tracebacks, failed tests, and warnings
# not on the allowlist. Usage: odoo-log-problems.sh LOG ALLOWLIST
#
# A py.warnings record starts with the file that raised the warning. One raised inside a
# third-party package (under a site-packages or dist-packages folder; Odoo and the fiscal
# connector installed there excepted) is not the project's to fix: it is counted on stderr,
# not printed. Every other warning, the project's and Odoo's, is a problem.
set -uo pipefail
log=$1
allowlist=$2
grep -E ' (ERROR|CRITICAL) |Traceback|^FAIL:|^ERROR:' "$log"
grep -E ' WARNING ' "$log" | grep -v -E -f "$allowlist" | awk '
    match($0, / py\.warnings: [^:]*:[0-9]+: /) {
        source = substr($0, RSTART + 14, RLENGTH - 14)
        if (source ~ /\/(site|dist)-packages\// \
            && source !~ /\/(site|dist)-packages\/(odoo|fiscal_connector)\//) {
            tolerated++
            next
        }
    }
    { print }
    END { if (tolerated) printf "%d py.warnings of third-party packages tolerated\n", tolerated > "/dev/stderr" }'
exit 0
