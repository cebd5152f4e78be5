"""Query latency of the first user of a PostgreSQL schema that ``opm bench latency --backend postgres`` filled.

    OM_METADATA_BACKEND=postgres OM_PG_URL=postgresql://postgres@127.0.0.1:5433/test OM_PG_SCHEMA=bench1m \\
      opm bench latency --backend postgres --memories 1000000 --users 1000 --queries 300 --json pg1m.json
    python benchmarks/pg_query.py postgresql://postgres@127.0.0.1:5433/test bench1m --queries 300

The bench fills the schema (~20 minutes at a million rows) and times its queries once; this times them again on
the same schema without refilling it, e.g. on a quiet machine after a fill that ran beside other work. As the
bench does: a ``Memory`` over the schema warms up as ``opm serve`` does, then ``bench-user-0`` asks questions of
the bench's form ("What did <name> do in <place>?", so part of their embeddings are cached), each one reinforcing
its results (written at once: the library's default). Prints wall-clock p50 / p95 / p99 and the median process
CPU time per query (this process only: the server's share is not in it).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from threadpoolctl import threadpool_limits

from openmemory.bench import latency
from openmemory.config import Settings
from openmemory.memory import Memory

USER = "bench-user-0"
WARM_UP = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="PostgreSQL URL (OM_PG_URL)")
    parser.add_argument("schema", help="the schema the bench filled (OM_PG_SCHEMA)")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    threadpool_limits(limits=1, user_api="blas")
    settings = Settings.load(metadata_backend="postgres", pg_url=args.url, pg_schema=args.schema, auto_migrate=False)
    rng = random.Random(11)
    questions = [
        f"What did {rng.choice(latency._NAMES)} do in {rng.choice(latency._PLACES)}?"
        for _ in range(WARM_UP + args.queries)
    ]
    with Memory(settings=settings) as mem:
        mem.warm_up()
        for q in questions[:WARM_UP]:
            mem.query(q, user_id=USER, k=10)
        wall, cpu = [], []
        for q in questions[WARM_UP:]:
            t0, c0 = time.perf_counter(), time.process_time()
            mem.query(q, user_id=USER, k=10)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    cuts = statistics.quantiles(wall, n=100, method="inclusive")
    print(
        f"{args.schema}: {len(wall)} queries of {USER}: wall p50 {cuts[49]:.2f} ms, p95 {cuts[94]:.2f} ms, "
        f"p99 {cuts[98]:.2f} ms; client CPU p50 {statistics.median(cpu):.2f} ms"
    )


if __name__ == "__main__":
    main()
