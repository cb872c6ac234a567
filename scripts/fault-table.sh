#!/usr/bin/env bash
# The fault table of a chaos run (Tests/e2e/test_chaos.py writes one tab-separated line per
# fault: fault, requests acknowledged, rows found, duplicates).
set -euo pipefail
file=${1:?usage: fault-table.sh FILE}
[[ -s $file ]] || { echo "no fault table in $file"; exit 0; }
echo "fault table ($file):"
awk -F'\t' 'BEGIN { printf "  %-62s %12s %10s %10s\n", "fault", "acknowledged", "found", "duplicates" }
            { printf "  %-62s %12s %10s %10s\n", substr($1, 1, 62), $2, $3, $4 }' "$file"
