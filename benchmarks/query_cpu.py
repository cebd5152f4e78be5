"""CPU time of one ``Memory.query`` on an existing database (one user), and what the results were.

python benchmarks/query_cpu.py DB [--queries 400] [--profile 30]   # CPU per query: median, mean (ms)
python benchmarks/query_cpu.py DB --dump out.json                  # the results of fixed queries, to compare

The questions are those of benchmarks/wrk-query-repeated.lua, asked in turn (their embeddings are cached after the
first round, as on a server). CPU is ``time.process_time`` (the whole process, so background recall writes count),
which is meaningful on a loaded machine where wall-clock time is not. BLAS runs one thread, as under `opm serve`
(a pool of spinning BLAS threads costs ~5 ms of CPU per 10,000-row product on two cores). ``--dump`` queries
without reinforcing and with a fixed clock, so two runs (before and after a change) must write the same file.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sqlite3
import statistics
import time

from threadpoolctl import threadpool_limits

from openmemory.memory import Memory

QUESTIONS = [
    "where did my sister travel?", "who fixed the kitchen sink?", "what did grandma cook?",
    "when is the dentist appointment?", "who sold the vintage camera?", "what did Priya learn?",
    "jazz concert last Monday", "tomato seedlings in March",
]  # fmt: skip
DUMP_AFTER_MS = 3 * 86_400_000  # the dump's clock: three days after the newest memory, so recency counts


def owner(path: str) -> str | None:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT user_id FROM memories LIMIT 1").fetchone()
    return None if row is None else row[0]


def newest_ms(path: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT max(last_seen_at) FROM memories").fetchone()[0] or 0)


def cpu_per_query(path: str, n: int) -> list[float]:
    user = owner(path)
    with Memory(path) as mem:
        for q in QUESTIONS * 2:
            mem.query(q, user_id=user, k=10)
        times = []
        for i in range(n):
            started = time.process_time()
            mem.query(QUESTIONS[i % len(QUESTIONS)], user_id=user, k=10)
            times.append((time.process_time() - started) * 1000)
    return times


def profile(path: str, n: int) -> None:
    user = owner(path)
    with Memory(path) as mem:
        for q in QUESTIONS * 2:
            mem.query(q, user_id=user, k=10)
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for i in range(n):
            mem.query(QUESTIONS[i % len(QUESTIONS)], user_id=user, k=10)
        prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(30)


def dump(path: str, out: str) -> None:
    user = owner(path)
    rows = []
    now = newest_ms(path) + DUMP_AFTER_MS
    with Memory(path, clock=lambda: now) as mem:
        for q in [*QUESTIONS, "sister", "camera Lisbon jazz", "what happened yesterday after work?"]:
            for k in (1, 10, 40):
                hits = mem.query(q, user_id=user, k=k, reinforce=False)
                rows.append([q, k, [[h.memory.memory_id, repr(h.score), repr(h.parts), list(h.path)] for h in hits]])
    with open(out, "w") as f:
        json.dump(rows, f, indent=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument("--dump", default="")
    parser.add_argument("--blas-threads", type=int, default=1, help="1, as `opm serve` sets; 0 leaves BLAS alone")
    args = parser.parse_args()
    if args.blas_threads:
        threadpool_limits(limits=args.blas_threads, user_api="blas")
    if args.dump:
        dump(args.db, args.dump)
    elif args.profile:
        profile(args.db, args.profile)
    else:
        times = cpu_per_query(args.db, args.queries)
        median, mean = statistics.median(times), statistics.fmean(times)
        print(f"{args.queries} queries: CPU median {median:.2f} ms, mean {mean:.2f} ms")


if __name__ == "__main__":
    main()
