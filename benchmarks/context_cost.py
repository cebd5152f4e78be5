"""Query latency with and without the context step (engine/context.py), on one database, in one process.

python benchmarks/context_cost.py 10000

Loads N generated memories for one user as `opm bench latency` does, opens the same file a second time with
the context step off, and times 300 questions alternating between the two, so both see the same machine load;
the median of the per-question differences is the figure that survives a loaded machine best.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from openmemory.bench.latency import run_latency, sentence
from openmemory.config import Settings
from openmemory.engine.retrieve import RetrievalTuning
from openmemory.memory import Memory

USER = "bench-user-0"


def main(memories: int, questions: int = 300) -> None:
    with tempfile.TemporaryDirectory(prefix="opm-context-") as tmp:
        settings = Settings.load(metadata_backend="sqlite", db_path=Path(tmp) / "c.sqlite")
        with Memory(settings=settings) as on, Memory(settings=settings, tuning=RetrievalTuning(context_span=0)) as off:
            run_latency(on, memories=memories, queries=10, measure_adds=min(500, memories))
            rng = random.Random(3)
            texts = [sentence(rng) + "?" for _ in range(questions)]
            off.query(texts[0], user_id=USER)  # load the second instance's indexes
            timings: dict[str, list[float]] = {"context on": [], "context off": []}
            for i, text in enumerate(texts):
                pair = [("context on", on), ("context off", off)]
                for name, mem in pair if i % 2 else reversed(pair):
                    start = time.perf_counter()
                    mem.query(text, user_id=USER, k=10, reinforce=False)
                    timings[name].append((time.perf_counter() - start) * 1000)
            for name, values in timings.items():
                cuts = statistics.quantiles(values, n=100, method="inclusive")
                print(f"{name}: p50 {cuts[49]:.2f} ms, p95 {cuts[94]:.2f} ms ({len(values)} queries)")
            paired = [a - b for a, b in zip(timings["context on"], timings["context off"], strict=True)]
            print(f"same question, on minus off: median {statistics.median(paired):+.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
