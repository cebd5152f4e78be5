"""Interleaved A/B of the question-embedding prefetch on one large owner (issue 15, fifth round).

    python benchmarks/query_profile.py 100000 /tmp/p100k.sqlite     # builds the file first if missing
    python benchmarks/prefetch_ab.py /tmp/p100k.sqlite

Every question is new (so every one is embedded), and queries alternate between the prefetch (``Memory.query``
as shipped: the vector computed on its own thread while the lexical search runs) and the question embedded
before the retrieval (the prefetch replaced by a plain ``embed_query``), so both sides see the same machine
minute by minute. Prints wall-clock p50 / p95 / mean per side over 325 queries each, BLAS on one thread as under
``opm serve``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from openmemory.bench import latency
from openmemory.config import Settings
from openmemory.engine.embed.cache import QueryCache
from openmemory.memory import Memory

USER = "bench-user-0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", type=Path, help="a file filled by benchmarks/query_profile.py")
    args = parser.parse_args()
    threadpool_limits(limits=1, user_api="blas")
    prefetch = QueryCache.prefetch

    def embed_now(self: QueryCache, text: str) -> None:
        self.embed_query(text)

    with Memory(args.db, settings=Settings.load(db_path=args.db)) as mem:
        mem.warm_up()
        mem.query("warm up", user_id=USER, k=10)
        mem.maintenance.wait_for_indexes(3600)
        rng = random.Random(3)
        names, places = latency._NAMES, latency._PLACES
        questions = [f"What did {rng.choice(names)} do in {rng.choice(places)} on day {i}?" for i in range(700)]
        for q in questions[:50]:
            mem.query(q, user_id=USER, k=10)
        times: dict[str, list[float]] = {"embedded first": [], "prefetched": []}
        try:
            for i, q in enumerate(questions[50:]):
                side = "prefetched" if i % 2 else "embedded first"
                QueryCache.prefetch = prefetch if i % 2 else embed_now  # type: ignore[method-assign]
                started = time.perf_counter()
                mem.query(q, user_id=USER, k=10)
                times[side].append((time.perf_counter() - started) * 1e3)
        finally:
            QueryCache.prefetch = prefetch  # type: ignore[method-assign]
    for side, ms in times.items():
        p95 = statistics.quantiles(ms, n=20)[18]
        print(f"{side}: p50 {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms, mean {statistics.fmean(ms):.2f} ms")


if __name__ == "__main__":
    main()
