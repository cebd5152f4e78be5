"""Speed of the engine on synthetic data: add throughput and query latency percentiles.

Memories are generated sentences (a fixed seed, so runs compare). The first ``measure_adds`` memories go through
``Memory.add_many`` with the real embedder, which is the add throughput reported. The rest are filled faster:
their vectors are mixtures of an embedded pool of sentences (so they look like real embeddings), written with
the store's own insert. Queries then run through ``Memory.query`` exactly as a user's would.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from openmemory.clock import now_ms
from openmemory.engine.classify import classify
from openmemory.engine.dedup import simhash
from openmemory.engine.embed.base import l2_normalise
from openmemory.engine.sectors import DECAY_LAMBDA_PER_DAY
from openmemory.memory import Memory
from openmemory.models import MemoryRecord
from openmemory.store import ann_threshold, open_store

_NAMES = [
    "Ana",
    "Bruno",
    "Chen",
    "Dara",
    "Emil",
    "Fatima",
    "Goran",
    "Hana",
    "Ivo",
    "Jun",
    "Kemal",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
]
_VERBS = [
    "visited",
    "bought",
    "cooked",
    "painted",
    "repaired",
    "booked",
    "cancelled",
    "learned",
    "taught",
    "planned",
    "sold",
    "found",
    "lost",
    "met",
    "wrote",
]
_THINGS = [
    "a vintage bicycle",
    "the garden shed",
    "a sourdough loaf",
    "tickets to Porto",
    "a piano lesson",
    "the quarterly report",
    "a hiking trail",
    "a birthday cake",
    "the kitchen sink",
    "a new laptop",
    "a chess club",
    "a pottery class",
    "the tax forms",
    "a camping stove",
    "a jazz record",
    "the roof tiles",
    "a yoga retreat",
    "a used car",
    "a mountain cabin",
    "a cooking course",
]
_PLACES = [
    "Lisbon",
    "Berlin",
    "Osaka",
    "Quito",
    "Nairobi",
    "Oslo",
    "Lima",
    "Tunis",
    "Hanoi",
    "Perth",
    "Austin",
    "Krakow",
    "Dublin",
    "Seville",
    "Tbilisi",
]
_WHEN = [
    "on Monday",
    "last weekend",
    "in March",
    "yesterday",
    "this morning",
    "after work",
    "in the summer",
    "on her birthday",
]
_FEEL = ["", " and felt great", " and was frustrated", " which took longer than planned", " with a friend"]


FILL_BATCH = 5000
RECALL_QUERIES = 100
BUILD_TIMEOUT_S = 4 * 3600.0  # how long to wait for the background index build before timing queries


def sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(_NAMES)} {rng.choice(_VERBS)} {rng.choice(_THINGS)} in {rng.choice(_PLACES)} "
        f"{rng.choice(_WHEN)}{rng.choice(_FEEL)}."
    )


@dataclass(frozen=True, slots=True)
class LatencyReport:
    memories: int
    users: int
    embedder: str
    backend: str
    add_measured: int
    add_per_s: float
    fill_s: float
    queries: int
    query_cold_ms: float
    index_build_s: float
    query_p50_ms: float
    query_p95_ms: float
    query_p99_ms: float
    dense_recall_at_10: float | None
    restart_warm_up_s: float
    first_query_after_restart_ms: float
    rss_mb: float
    peak_rss_mb: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_latency(
    memory: Memory,
    *,
    memories: int,
    users: int = 1,
    queries: int = 200,
    measure_adds: int = 2000,
    seed: int = 7,
    backend: str = "sqlite",
    progress: Callable[[int, int], None] | None = None,
) -> LatencyReport:
    """Load ``memories`` memories over ``users`` users, then time queries of the first user."""
    rng = random.Random(seed)
    user_ids = [f"bench-user-{i}" for i in range(users)]
    measured = min(memories, measure_adds)
    texts = [sentence(rng) for _ in range(memories)]
    start = time.perf_counter()
    step = 500  # one add_many call per 500 memories of a user: a "batch add"
    for offset in range(0, measured, step):
        for u, user_id in enumerate(user_ids):
            chunk = [t for j, t in enumerate(texts[offset : min(offset + step, measured)]) if (offset + j) % users == u]
            if chunk:
                memory.add_many(chunk, user_id=user_id)
        if progress is not None:
            progress(min(offset + step, measured), memories)
    add_s = time.perf_counter() - start
    fill_start = time.perf_counter()
    _fill(memory, texts, measured, user_ids, rng, progress)
    fill_s = time.perf_counter() - fill_start
    target = user_ids[0]
    questions = [f"What did {rng.choice(_NAMES)} do in {rng.choice(_PLACES)}?" for _ in range(queries + 1)]
    t0 = time.perf_counter()
    memory.query(questions[0], user_id=target, k=10)
    cold_ms = (time.perf_counter() - t0) * 1000  # past the threshold: the exact scan, the index builds meanwhile
    t0 = time.perf_counter()
    memory.maintenance.wait_for_indexes(BUILD_TIMEOUT_S)
    build_s = time.perf_counter() - t0
    timings = []
    for q in questions[1:]:
        t0 = time.perf_counter()
        memory.query(q, user_id=target, k=10)
        timings.append((time.perf_counter() - t0) * 1000)
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    rss, peak = resident_mb()
    recall = _dense_recall(memory, target, questions[1 : 1 + RECALL_QUERIES]) if backend == "sqlite" else None
    warm_s, restart_ms = _restart(memory, target, f"What did {rng.choice(_NAMES)} cook in {rng.choice(_PLACES)}?")
    return LatencyReport(
        memories=memories, users=users, embedder=memory.embedder.name, backend=backend, add_measured=measured,
        add_per_s=measured / add_s if add_s > 0 else 0.0, fill_s=fill_s, queries=len(timings),
        query_cold_ms=cold_ms, index_build_s=build_s, query_p50_ms=cuts[49], query_p95_ms=cuts[94],
        query_p99_ms=cuts[98],
        dense_recall_at_10=recall, restart_warm_up_s=warm_s, first_query_after_restart_ms=restart_ms,
        rss_mb=rss, peak_rss_mb=peak,
    )  # fmt: skip


def _restart(memory: Memory, user_id: str, question: str) -> tuple[float, float]:
    """A server restart over the same database: a second Memory warms up as ``opm serve`` does (model, most
    recently active owners' indexes), then the first query of the benchmark's user: (warm-up s, query ms)."""
    memory.flush()
    t0 = time.perf_counter()
    with Memory(settings=memory.settings.model_copy(update={"auto_migrate": False})) as fresh:
        fresh.warm_up()
        warm_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        fresh.query(question, user_id=user_id, k=10)
        return warm_s, (time.perf_counter() - t0) * 1000


def resident_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in MB; zeros where /proc is absent."""
    fields: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def _dense_recall(memory: Memory, user_id: str, questions: list[str]) -> float | None:
    """Recall@10 of the store's vector search (approximate past OM_ANN_MIN_MEMORIES) against an exact scan of
    the same file, over ``questions``; None when the owner is below the threshold (the search is exact)."""
    if memory.count(user_id=user_id) < ann_threshold(memory.settings):
        return None
    exact_settings = memory.settings.model_copy(update={"ann_min_memories": 2**62, "auto_migrate": False})
    # Both searches straight on a store of the file (Memory keeps its own store private).
    with closing(open_store(exact_settings)) as exact, closing(open_store(memory.settings)) as approx:
        approx.search_vectors(memory.embedder.embed_query(questions[0]), user_id=user_id, k=1)  # load the index
        approx.maintenance_wait_for_indexes(BUILD_TIMEOUT_S)  # (it is saved: no build unless that failed)
        found = []
        for question in questions:
            q = memory.embedder.embed_query(question)
            truth = {m for m, _ in exact.search_vectors(q, user_id=user_id, k=10)}
            got = {m for m, _ in approx.search_vectors(q, user_id=user_id, k=10)}
            found.append(len(truth & got) / max(1, len(truth)))
    return statistics.fmean(found) if found else None


def _fill(
    memory: Memory,
    texts: list[str],
    start: int,
    user_ids: list[str],
    rng: random.Random,
    progress: Callable[[int, int], None] | None,
) -> None:
    if start >= len(texts):
        return
    pool_texts = [sentence(rng) for _ in range(512)]
    pool = memory.embedder.embed(pool_texts)
    jobs = memory.maintenance
    now = now_ms()
    np_rng = np.random.default_rng(rng.randrange(2**32))
    batch: list[tuple[MemoryRecord, Any]] = []
    vectors: Any = None
    for i in range(start, len(texts)):
        if (i - start) % FILL_BATCH == 0:  # one batch of vectors at a time: mixtures of two pool sentences
            size = min(FILL_BATCH, len(texts) - i)
            a, b = np_rng.integers(0, len(pool), size=size), np_rng.integers(0, len(pool), size=size)
            noise = np_rng.standard_normal((size, pool.shape[1])).astype(np.float32)
            vectors = l2_normalise(pool[a] + 0.5 * pool[b] + 0.05 * noise)
        vec = vectors[(i - start) % FILL_BATCH]
        text = texts[i]
        cls = classify(text)
        record = MemoryRecord(
            memory_id=str(uuid.uuid4()), user_id=user_ids[i % len(user_ids)], content=text,
            primary_sector=cls.primary, created_at_ms=now, updated_at_ms=now, last_seen_at_ms=now, salience=0.4,
            decay_lambda=DECAY_LAMBDA_PER_DAY[cls.primary], simhash=simhash(text),
        )  # fmt: skip
        batch.append((record, vec))
        if len(batch) >= FILL_BATCH or i == len(texts) - 1:
            jobs.bulk_insert(batch)
            batch = []
        if progress is not None and i % FILL_BATCH == 0:
            progress(i, len(texts))
    jobs.reindex()
