"""Where one query's time goes on a large owner, and what a full garbage collection costs once it is warm.

    python benchmarks/query_profile.py 1000000 /tmp/p1m.sqlite --profile     # builds the file first if missing
    python benchmarks/query_profile.py 10000 /tmp/p10k.sqlite --gc

The file is filled as ``opm bench latency`` fills it (500 memories through ``add_many`` with the real embedder,
the rest generated: ``bench.latency._fill``), for one user, and the approximate index is built and waited for.
Then 200 of the bench's questions (after 50 warm-up ones; they repeat, so part of their embeddings are cached, as
in the bench) are timed: wall-clock and process CPU per query. ``--profile`` adds a cProfile with a CPU clock over
150 more questions; ``--gc`` times one full collection (generation 2) after warm-up, before and after
``gc.freeze()`` (what ``opm serve``'s workers do). BLAS runs one thread, as under ``opm serve``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import random
import statistics
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from openmemory.bench import latency
from openmemory.config import Settings
from openmemory.memory import Memory

USER = "bench-user-0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("memories", type=int)
    parser.add_argument("db", type=Path)
    parser.add_argument("--profile", action="store_true", help="cProfile 150 queries with a CPU clock")
    parser.add_argument("--gc", action="store_true", help="time a full garbage collection after warm-up")
    args = parser.parse_args()
    threadpool_limits(limits=1, user_api="blas")
    fresh = not args.db.exists()
    with Memory(args.db, settings=Settings.load(db_path=args.db)) as mem:
        rng = random.Random(7)
        if fresh:
            texts = [latency.sentence(rng) for _ in range(args.memories)]
            mem.add_many(texts[:500], user_id=USER)
            latency._fill(mem, texts, 500, [USER], rng, None)
        mem.warm_up()
        mem.query("warm up", user_id=USER, k=10)  # an index not saved (or of an older format) builds: wait for it
        mem.maintenance.wait_for_indexes(3600)
        if args.gc:
            started = time.perf_counter()
            gc.collect()
            print(f"full collection after warm-up: {(time.perf_counter() - started) * 1e3:.1f} ms")
            gc.freeze()
            started = time.perf_counter()
            gc.collect()
            print(f"full collection after gc.freeze(): {(time.perf_counter() - started) * 1e3:.1f} ms")
        names, places = latency._NAMES, latency._PLACES
        questions = [f"What did {rng.choice(names)} do in {rng.choice(places)}?" for _ in range(400)]
        for q in questions[:50]:
            mem.query(q, user_id=USER, k=10)
        wall, cpu = [], []
        for q in questions[50:250]:
            w, c = time.perf_counter(), time.process_time()
            mem.query(q, user_id=USER, k=10)
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
        p95 = statistics.quantiles(wall, n=20)[18]
        print(
            f"{args.memories} memories: wall p50 {statistics.median(wall) * 1e3:.2f} ms, p95 {p95 * 1e3:.2f} ms; "
            f"CPU p50 {statistics.median(cpu) * 1e3:.2f} ms"
        )
        if args.profile:
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for q in questions[250:400]:
                mem.query(q, user_id=USER, k=10)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
