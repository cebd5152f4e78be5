"""Where a query's wall-clock time goes, step by step: the store calls, the embedding wait, scoring, reinforcement.

    python benchmarks/query_profile.py 100000 /tmp/p100k.sqlite      # fills the file first if missing
    python benchmarks/query_phases.py /tmp/p100k.sqlite              # questions that repeat, as in the bench
    python benchmarks/query_phases.py /tmp/p100k.sqlite --new        # every question new (each one embedded)

Wraps the ``Store`` methods a query calls, the embedder's ``embed_query`` (the wait for the prefetched vector),
the retrieval's own steps and the reinforcement ``record`` with a wall-clock timer, then runs 100 warm-up and
500 timed queries of ``opm bench latency``'s user. Prints the query p50 and, per step, calls per query and mean
milliseconds per query. The timers add a few microseconds a call. BLAS runs one thread, as under ``opm serve``.
"""

from __future__ import annotations

import argparse
import collections
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

import openmemory.engine.retrieve as retrieve_module
from openmemory.bench import latency
from openmemory.config import Settings
from openmemory.memory import Memory

USER = "bench-user-0"
STORE_CALLS = ("search_lexical", "search_vectors", "vector_scores", "waypoints_from", "get_memories", "vocabulary")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", type=Path)
    parser.add_argument("--new", action="store_true", help="every question new, so every one is embedded")
    args = parser.parse_args()
    threadpool_limits(limits=1, user_api="blas")
    spent: dict[str, list[float]] = collections.defaultdict(list)

    def timed(owner: Any, name: str, label: str) -> None:
        inner: Callable[..., Any] = getattr(owner, name)

        def wrapper(*a: Any, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*a, **kw)
            finally:
                spent[label].append(time.perf_counter() - started)

        setattr(owner, name, wrapper)

    with Memory(args.db, settings=Settings.load(db_path=args.db)) as mem:
        store = mem.maintenance.store
        for name in STORE_CALLS:
            timed(store, name, f"store.{name}")
        timed(mem.embedder, "embed_query", "wait for the question's vector")
        timed(mem._recall, "record", "reinforcement")
        for name in ("_expand", "_shortlist", "_score"):
            timed(retrieve_module, name, f"retrieve.{name}")
        mem.warm_up()
        rng = random.Random(7)
        if args.new:
            questions = [
                f"What did {rng.choice(latency._NAMES)} {rng.choice(latency._VERBS)} {rng.choice(latency._THINGS)} "
                f"in {rng.choice(latency._PLACES)}?"
                for _ in range(600)
            ]
        else:
            questions = [
                f"What did {rng.choice(latency._NAMES)} do in {rng.choice(latency._PLACES)}?" for _ in range(600)
            ]
        for question in questions[:100]:
            mem.query(question, user_id=USER, k=10)
        mem.maintenance.wait_for_indexes(3600)
        spent.clear()
        wall = []
        for question in questions[100:]:
            started = time.perf_counter()
            mem.query(question, user_id=USER, k=10)
            wall.append(time.perf_counter() - started)
    n = len(wall)
    print(
        f"{args.db}: {n} queries, p50 {statistics.median(wall) * 1e3:.2f} ms, mean {statistics.mean(wall) * 1e3:.2f} ms"
    )
    for label, times in sorted(spent.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {label:<34} {len(times) / n:5.1f} calls/query  {sum(times) / n * 1e3:6.3f} ms/query")


if __name__ == "__main__":
    main()
