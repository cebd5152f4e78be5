"""CPU and memory cost of the vocabulary expansion (engine/expand.py, OM_WORD_EXPANSION) for one large owner.

python benchmarks/expansion_cost.py 10000 --data ../shared/bench/locomo-dev.json

Writes N memories for one user straight into a SQLite store (random unit vectors: only the words matter here):
each is a LoCoMo dev turn with three words drawn (Zipf, s = 1.1) from the model tokenizer's 20k whole words, so
the owner's vocabulary grows with N as a real one does. Then asks the 231 dev questions through
``engine.retrieve`` with and without an expander, alternating, and reports process CPU time (not wall-clock: the
machine is shared): the owner's vocabulary embedded once (cold owner), each question's first pass (its words'
vectors not cached: one model call) and a second pass (cached), and the memory the word vectors take.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from openmemory.bench.locomo import load_locomo
from openmemory.engine import retrieve as engine
from openmemory.engine.expand import QUERY_WORDS, Expander
from openmemory.memory import Memory
from openmemory.models import MemoryRecord, SectorVector
from openmemory.store.vocabulary import Vocabulary

USER = "owner"
NOW = 1_795_000_000_000


def _words() -> list[str]:
    data = resources.files("openmemory.engine.embed").joinpath("data/tokenizer.json").read_text()
    vocab = json.loads(data)["model"]["vocab"]
    return [w for w in vocab if w.isalpha() and w.islower() and len(w) >= 4]


def _fill(mem: Memory, turns: list[str], n: int) -> None:
    rng = np.random.default_rng(5)
    words = _words()
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    p = ranks**-1.1
    p /= p.sum()
    store = mem._store
    dim = mem.embedder.dim
    for i in range(n):
        extra = " ".join(words[j] for j in rng.choice(len(words), size=3, p=p))
        text = f"{turns[i % len(turns)]} {extra}"
        vec = rng.standard_normal(dim).astype(np.float32)
        vec /= np.linalg.norm(vec)
        rec = MemoryRecord(str(uuid.uuid4()), USER, text, "semantic", created_at_ms=NOW + i, updated_at_ms=NOW + i,
                           last_seen_at_ms=NOW + i)  # fmt: skip
        store.insert_memory(rec, [SectorVector(rec.memory_id, "semantic", vec, dim)], vec, None, mem.embedder.name,
                            user_id=USER)  # fmt: skip


def _query(mem: Memory, text: str, expander: Expander | None, clock: Callable[[], float] = time.process_time) -> float:
    started = clock()
    with mem._store.session():
        engine.retrieve(mem._store, mem.embedder, text, user_id=USER, k=10, where=None, now_ms=NOW, expander=expander)
    return (clock() - started) * 1000


def _cold_first_queries(mem: Memory, questions: list[str], vocabulary: Vocabulary) -> None:
    """A cold owner's first query with a fresh expander (its vocabulary goes to the background fill: the query's
    own thread CPU is what it pays), and queries that catch up with QUERY_WORDS new words of the owner."""
    off = [_query(mem, q, None, time.thread_time) for q in questions[:40]]
    first = []
    for q in questions[:40]:
        expander = Expander(mem.embedder)
        first.append(_query(mem, q, expander, time.thread_time))
        expander.close()
    print(f"cold owner, first query, without expansion (thread CPU): {_p(off)}")
    print(f"cold owner, first query, with (fill in the background):  {_p(first)}")
    expander = Expander(mem.embedder)
    expander.warm(vocabulary)
    owner = expander._owner(vocabulary)
    catch_up = []
    for q in questions[:40]:
        expander.terms(q, vocabulary)  # its words cached: only the owner's words are timed
        with owner.lock:
            owner.rows -= QUERY_WORDS  # as if the owner had written QUERY_WORDS new words since
            for entry in owner.close.values():
                entry.compared = min(entry.compared, owner.rows)
                entry.matches = [m for m in entry.matches if m[1] < owner.rows]
            for word in vocabulary.words[owner.rows : owner.rows + QUERY_WORDS]:
                expander.words._cache.pop(word, None)
        catch_up.append(_query(mem, q, expander, time.thread_time))
    print(f"warm owner, {QUERY_WORDS} new owner words embedded on the query:  {_p(catch_up)}")


def _p(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49]:.2f} ms, p90 {cuts[89]:.2f} ms, mean {statistics.fmean(values):.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("memories", type=int, nargs="?", default=10_000)
    parser.add_argument("--data", type=Path, required=True, help="the LoCoMo dev split (turns and questions)")
    args = parser.parse_args()
    conversations = load_locomo(args.data, split="dev")
    turns = [t.text for c in conversations for t in c.turns]
    questions = [q.text for c in conversations for q in c.questions]
    with tempfile.TemporaryDirectory(prefix="opm-expand-") as tmp, Memory(Path(tmp) / "e.sqlite") as mem:
        _fill(mem, turns, args.memories)
        for q in questions:
            mem.embedder.embed_query(q)  # the query embedding is cached in both arms: not the expansion's cost
        _query(mem, questions[0], None)  # load the owner's matrix and lexicon
        vocabulary = mem._store.vocabulary(user_id=USER)
        tracemalloc.start()
        expander = Expander(mem.embedder)
        started = time.process_time()
        expander.warm(vocabulary)
        cold_s = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
        current, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{args.memories} memories, owner vocabulary {len(vocabulary)} words")
        print(
            f"cold owner: vocabulary embedded in {cold_s:.1f} s CPU ({cold_s / len(vocabulary) * 1000:.2f} ms a word)"
        )
        print(
            f"word vectors held: {current / 1e6:.1f} MB (process LRU + the owner's float32 matrix), "
            f"peak {peak / 1e6:.1f} MB"
        )
        off, first, cached, terms_first, terms_cached = [], [], [], [], []
        for q in questions:
            off.append(_query(mem, q, None))
            first.append(_query(mem, q, expander))
        for q in questions:
            cached.append(_query(mem, q, expander))
            off.append(_query(mem, q, None))
        probe = Expander(mem.embedder)
        probe.warm(vocabulary)
        for q in questions:
            started = time.process_time()
            probe.terms(q, vocabulary)
            terms_first.append((time.process_time() - started) * 1000)
            started = time.process_time()
            probe.terms(q, vocabulary)
            terms_cached.append((time.process_time() - started) * 1000)
        print(f"query without expansion:               {_p(off)}")
        print(f"query with, question words not cached: {_p(first)}")
        print(f"query with, question words cached:     {_p(cached)}")
        print(f"expansion step alone, not cached:      {_p(terms_first)}")
        print(f"expansion step alone, cached:          {_p(terms_cached)}")
        paired = [a - b for a, b in zip(cached, off[len(questions) :], strict=True)]
        print(f"same question, cached minus off: median {statistics.median(paired):+.2f} ms")
        _cold_first_queries(mem, questions, vocabulary)


if __name__ == "__main__":
    main()
