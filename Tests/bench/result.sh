#!/usr/bin/env bash
# Appends one line to make bench's results file, for Tests/bench/summary.py's table:
#   Tests/bench/result.sh SOURCE PATH FIGURE UNIT [CEILING CEILING_LABEL] [TARGET]
# SOURCE   the bench that measured it (bench.sh, segments_bench.sh, ...)
# PATH     what was measured ("GET /v1/health")
# FIGURE   its figure: a number, or a word (yes/no)
# UNIT     of the figure and the ceiling (req/s, ms, events/s)
# CEILING  the ceiling measured in the same run (empty: none), CEILING_LABEL what it is
# TARGET   "OP VALUE" with OP >=, <= or ==: on the ratio FIGURE / CEILING when there is a
#          ceiling, else on the figure itself; empty: a figure shown, no target.
# The file is $BENCH_RESULTS (make bench sets it and empties it first), by default
# .run/bench-results.tsv. Fields are tab-separated; tabs and newlines in them become spaces.
set -euo pipefail
(($# >= 4)) || { echo "usage: $0 SOURCE PATH FIGURE UNIT [CEILING CEILING_LABEL] [TARGET]" >&2; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
file=${BENCH_RESULTS:-$ROOT/.run/bench-results.tsv}
mkdir -p "$(dirname "$file")"
fields=("$1" "$2" "$3" "$4" "${5:-}" "${6:-}" "${7:-}")
line=""
for f in "${fields[@]}"; do
  f=${f//$'\t'/ }
  line+="${f//$'\n'/ }"$'\t'
done
printf '%s\n' "${line%$'\t'}" >>"$file"
