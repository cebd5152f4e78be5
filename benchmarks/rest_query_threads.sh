#!/usr/bin/env bash
# REST query latency by OM_SERVE_QUERY_THREADS: for each value, `opm serve --workers 2` over DB, a 10 s warm-up
# wrk run (the workers' vocabulary fill and caches), then two 20 s wrk runs with the 8 rotating questions and one
# with distinct questions, as in docs/benchmarks.md (targets 5-6). Each rotating run also prints how the kernel
# spread wrk's 16 connections over the two workers, read with `ss` 5 s into the run.
#
#   python benchmarks/build_rest_db.py /tmp/wrk/m.sqlite        # 10,000 memories for the key "bench-key"
#   bash benchmarks/rest_query_threads.sh /tmp/wrk/m.sqlite 1 2 40
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OPM=${OPM:-$(command -v opm || echo "$HERE/../.venv/bin/opm")}
PORT=${PORT:-18300}
DB=$1; shift
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

# How the kernel spread wrk's 16 connections over the workers (e.g. 9/7): the busier worker sets the tail.
connections_per_worker() {
  if command -v ss >/dev/null; then
    ss -tnpH state established "( sport = :$PORT )" | grep -o 'pid=[0-9]*' | sort | uniq -c | awk '{print $1}' \
      | sort -rn | paste -sd/
  else
    echo "?"
  fi
}
for threads in "$@"; do
  OM_SERVE_QUERY_THREADS=$threads OM_API_KEY=bench-key "$OPM" serve --db "$DB" --port "$PORT" --workers 2 \
    >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 1; done
  wrk -t2 -c16 -d10s -s "$HERE/wrk-query-repeated.lua" "http://127.0.0.1:$PORT" >/dev/null
  for run in 1 2; do
    printf 'threads %s, rotating, run %s: ' "$threads" "$run"
    wrk -t2 -c16 -d20s --latency -s "$HERE/wrk-query-repeated.lua" "http://127.0.0.1:$PORT" >"$OUT" &
    sleep 5
    split=$(connections_per_worker)
    wait $!
    awk -v conns="$split" '/^ +50%/{p50=$2} /^ +99%/{p99=$2} /Requests\/sec/{rps=$2}
      END{print rps " /s, p50 " p50 ", p99 " p99 ", connections per worker " conns}' "$OUT"
  done
  printf 'threads %s, distinct: ' "$threads"
  wrk -t2 -c16 -d20s --latency -s "$HERE/wrk-query-distinct.lua" "http://127.0.0.1:$PORT" \
    | awk '/^ +50%/{p50=$2} /^ +99%/{p99=$2} /Requests\/sec/{rps=$2} END{print rps " /s, p50 " p50 ", p99 " p99}'
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
done
