"""Score variants of the engine's retrieval on the LoCoMo protocol, per category and per conversation.

python benchmarks/locomo_variants.py --data ../shared/bench/locomo-dev.json current context-off old-sectors

The quick way to measure an idea before building it: the conversations are indexed once (``--db`` keeps the
SQLite file between runs, so a second run starts at once), and each variant then asks every question through
``engine.retrieve`` with the engine's own store and embedder. A variant either passes a ``RetrievalTuning``, or
changes one step for the length of its run (a wrapped store method, a re-ordering of the hits), which is how the
ideas that issue 13 tried and dropped were measured without putting them in the package. Figures agree with
``opm bench locomo`` for the variants it can run (``current`` is its engine row). Research code: it reaches
into engine and store internals on purpose.

Output: one line per variant, recall@10 overall, by category (mh multi-hop, tmp temporal, od open-domain,
sh single-hop) and by conversation, and the median CPU time of one question's retrieval (process CPU time,
question embeddings cached; on a shared machine CPU time is steadier than wall-clock, though not immune).
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import openmemory.store.lexical_index as lexical
from openmemory.bench.locomo import CATEGORY_NAMES, Conversation, load_locomo, recall_at
from openmemory.engine import retrieve as engine
from openmemory.engine import score
from openmemory.engine.classify import classify
from openmemory.engine.expand import PER_WORD, THETA, WEIGHT, Expander
from openmemory.engine.score import weighted_sum
from openmemory.memory import Memory
from openmemory.models import Hit
from openmemory.store.lexical_index import UserLexicon, analyse

K = 10
DEPTH = 20  # hits asked for, as `opm bench locomo` asks (k also sizes the shortlist and the context step's floor)
RERANK_DEPTH = 100  # a re-ordering variant re-orders the engine's top 100
Rerank = Callable[[list[Hit], str, str], list[Hit]]


class Bench:
    """One indexed copy of the conversations, and what the variants need to know about it."""

    def __init__(self, mem: Memory, conversations: list[Conversation]) -> None:
        self.mem = mem
        self.store: Any = mem._store  # the variants wrap its methods for the length of a run
        self.conversations = conversations
        self.expander: Expander | None = None  # the built vocabulary expansion, when a variant sets it
        self.dia: dict[str, str] = {}
        self.timeline: dict[str, list[Any]] = {}
        for conv in conversations:
            rows = self.store.all_mem_by_user(user_id=conv.conversation_id, limit=100_000, offset=0)
            rows.sort(key=lambda r: (r.created_at_ms, r.memory_id))
            self.timeline[conv.conversation_id] = rows
            self.dia.update({r.memory_id: str(r.meta["dia_id"]) for r in rows})
            for q in conv.questions:
                mem.embedder.embed_query(q.text)  # cached: the CPU time below is retrieval's, not the model's

    def score(self, tuning: engine.RetrievalTuning, rerank: Rerank | None) -> dict[str, float]:
        per: list[tuple[str, int, float]] = []
        cpu_ms: list[float] = []
        for conv in self.conversations:
            for q in conv.questions:
                started = time.process_time()
                with self.store.session():
                    hits = engine.retrieve(
                        self.store, self.mem.embedder, q.text, user_id=conv.conversation_id,
                        k=DEPTH if rerank is None else RERANK_DEPTH, where=None,
                        now_ms=self.mem._clock(), tuning=tuning, expander=self.expander,
                    )  # fmt: skip
                if rerank is not None:
                    hits = rerank(hits, q.text, conv.conversation_id)
                cpu_ms.append((time.process_time() - started) * 1000)
                ranked = list(dict.fromkeys(self.dia[h.memory.memory_id] for h in hits))
                per.append((conv.conversation_id, q.category, recall_at(ranked, q.evidence, K)))
        out = {"overall": _mean(r for _, _, r in per), "cpu_ms": statistics.median(cpu_ms)}
        out.update({name: _mean(r for _, c, r in per if c == cat) for cat, name in CATEGORY_NAMES.items()})
        out.update(
            {c.conversation_id: _mean(r for cid, _, r in per if cid == c.conversation_id) for c in self.conversations}
        )
        return out


def _mean(values: Any) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0


@contextmanager
def patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def _raw(hit: Hit) -> float:
    """The pre-sigmoid score the engine ranked the hit by (its own, or what its neighbour in time lent it)."""
    return max(weighted_sum(hit.parts, engine.DEFAULT_TUNING.weights), hit.parts.context)


# -- the variants --------------------------------------------------------------------------------------------
# Each takes the Bench and returns (tuning, rerank or None, context managers to enter for the run).

Variant = tuple[engine.RetrievalTuning, Rerank | None, list[AbstractContextManager[None]]]


def v_current(b: Bench) -> Variant:
    return engine.DEFAULT_TUNING, None, []


def v_context_off(b: Bench) -> Variant:
    return engine.RetrievalTuning(context_span=0), None, []


def v_old_sectors(b: Bench) -> Variant:
    """Before issue 13's second change: a question that matches no sector pattern is taken as semantic."""
    return engine.DEFAULT_TUNING, None, [patched(engine, "_query_sectors", classify)]


def v_old_sectors_context_off(b: Bench) -> Variant:
    return engine.RetrievalTuning(context_span=0), None, [patched(engine, "_query_sectors", classify)]


def mmr_embedding(lam: float) -> Callable[[Bench], Variant]:
    """Greedy re-ordering of the top 30: raw score minus ``lam`` times the cosine to the closest hit kept."""

    def make(b: Bench) -> Variant:
        vec = _unit_vectors(b)

        def rerank(hits: list[Hit], _q: str, _u: str) -> list[Hit]:
            pool, chosen = list(hits[:30]), list[Hit]()
            while pool and len(chosen) < K:
                best = max(pool, key=lambda h: _raw(h) - lam * _redundancy(vec, h, chosen))
                chosen.append(best)
                pool.remove(best)
            return chosen

        return engine.DEFAULT_TUNING, rerank, []

    return make


def _unit_vectors(b: Bench) -> dict[str, np.ndarray]:
    out = {}
    for user, rows in b.timeline.items():
        for memory_id, (_, mean) in b.store.get_vectors([r.memory_id for r in rows], user_id=user).items():
            out[memory_id] = mean / np.linalg.norm(mean)
    return out


def _redundancy(vec: dict[str, np.ndarray], hit: Hit, chosen: list[Hit]) -> float:
    return max((float(vec[hit.memory.memory_id] @ vec[c.memory.memory_id]) for c in chosen), default=0.0)


def term_coverage(lam: float) -> Callable[[Bench], Variant]:
    """Greedy re-ordering of the top 30: a hit loses ``lam`` per earlier pick that covered the same question
    terms (averaged over the question terms it matches), so the top k jointly covers more of the question."""

    def make(b: Bench) -> Variant:
        def rerank(hits: list[Hit], q: str, _u: str) -> list[Hit]:
            terms = set(analyse(q))
            pool = list(hits[:30])
            matched = {h.memory.memory_id: set(analyse(h.memory.content)) & terms for h in pool}
            covered: dict[str, int] = defaultdict(int)
            chosen: list[Hit] = []

            def value(h: Hit) -> float:
                t = matched[h.memory.memory_id]
                return _raw(h) - (lam * sum(covered[x] for x in t) / len(t) if t else 0.0)

            while pool and len(chosen) < K:
                best = max(pool, key=value)
                chosen.append(best)
                pool.remove(best)
                for x in matched[best.memory.memory_id]:
                    covered[x] += 1
            return chosen

        return engine.DEFAULT_TUNING, rerank, []

    return make


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-zA-Z]+)")


def entity_walk(seeds: int, beta: float, max_df: int, names_only: bool) -> Callable[[Bench], Variant]:
    """Links between one owner's memories that share a rare term (a capitalised name, or any term): each of the
    ``seeds`` best hits lends ``beta · raw · idf(term)/max idf`` to every memory sharing a term with it that the
    question lacks, with at most ``max_df`` memories; a memory keeps the better of its own score and the loan."""

    def make(b: Bench) -> Variant:
        index: dict[str, tuple[dict[str, set[str]], int]] = {}
        terms_of: dict[str, set[str]] = {}
        for user, rows in b.timeline.items():
            postings: dict[str, set[str]] = defaultdict(set)
            for r in rows:
                body = r.content.split(": ", 1)[-1]  # not the speaker's name, which every turn carries
                terms = set(analyse(" ".join(_NAME.findall(body)))) if names_only else set(analyse(body))
                terms_of[r.memory_id] = terms
                for t in terms:
                    postings[t].add(r.memory_id)
            index[user] = (postings, len(rows))

        def rerank(hits: list[Hit], q: str, user: str) -> list[Hit]:
            postings, n = index[user]
            q_terms = set(analyse(q))
            own = {h.memory.memory_id: _raw(h) for h in hits}
            lent: dict[str, float] = {}
            top_idf = math.log(1 + (n - 0.5) / 1.5)
            for h in hits[:seeds]:
                for t in terms_of[h.memory.memory_id] - q_terms:
                    df = len(postings[t])
                    if not 2 <= df <= max_df:
                        continue
                    loan = own[h.memory.memory_id] * beta * math.log(1 + (n - df + 0.5) / (df + 0.5)) / top_idf
                    for m in postings[t]:
                        if m != h.memory.memory_id and loan > lent.get(m, 0.0):
                            lent[m] = loan
            return sorted(hits, key=lambda h: -max(own[h.memory.memory_id], lent.get(h.memory.memory_id, 0.0)))

        return engine.DEFAULT_TUNING, rerank, []

    return make


def speaker_prior(bonus: float) -> Callable[[Bench], Variant]:
    """A turn whose speaker is a person the question names gains ``bonus`` (LoCoMo's "Name: text" format)."""

    def make(b: Bench) -> Variant:
        def rerank(hits: list[Hit], q: str, _u: str) -> list[Hit]:
            names = set(re.findall(r"\b([A-Z][a-z]+)\b", q))
            return sorted(hits, key=lambda h: -(_raw(h) + (bonus if h.memory.content.split(":", 1)[0] in names else 0)))

        return engine.DEFAULT_TUNING, rerank, []

    return make


def exchange_lexical(before: int, after: int, mix: float) -> Callable[[Bench], Variant]:
    """Document expansion: a second per-owner BM25 index where each memory's text is joined with the texts of
    the ``before`` memories made just before it and the ``after`` just after; the lexical signal becomes
    ``(1 - mix) · own / best own + mix · expanded / best expanded``."""

    def make(b: Bench) -> Variant:
        lexicons = {}
        for user, rows in b.timeline.items():
            lex = UserLexicon()
            for i, r in enumerate(rows):
                near = rows[max(0, i - before) : i] + rows[i + 1 : i + 1 + after]
                lex.put(r.memory_id, " ".join([r.content, *(n.content for n in near)]))
            lexicons[user] = lex
        plain = b.store.search_lexical

        def search(
            text: str, *, user_id: str, k: int, project_id: str | None = None, **_: Any
        ) -> list[tuple[str, float]]:
            own = plain(text, user_id=user_id, k=k, project_id=project_id)
            wide = lexicons[user_id].search(text, k)
            top_own = max((s for _, s in own), default=1.0)
            top_wide = max((s for _, s in wide), default=1.0)
            mixed = {m: (1 - mix) * s / top_own for m, s in own}
            for m, s in wide:
                mixed[m] = mixed.get(m, 0.0) + mix * s / top_wide
            return sorted(mixed.items(), key=lambda x: -x[1])[:k]

        return engine.DEFAULT_TUNING, None, [patched(b.store, "search_lexical", search)]

    return make


def exchange_dense(before: int, after: int, weight: float) -> Callable[[Bench], Variant]:
    """Dense document expansion: a memory's similarity is the better of its own cosine and the cosine with its
    vector plus ``weight`` times its neighbours' vectors (renormalised)."""

    def make(b: Bench) -> Variant:
        vec = _unit_vectors(b)
        wide: dict[str, np.ndarray] = {}
        for rows in b.timeline.values():
            for i, r in enumerate(rows):
                near = rows[max(0, i - before) : i] + rows[i + 1 : i + 1 + after]
                v = vec[r.memory_id] + weight * sum((vec[n.memory_id] for n in near), np.zeros_like(vec[r.memory_id]))
                wide[r.memory_id] = v / np.linalg.norm(v)
        ids_of = {user: [r.memory_id for r in rows] for user, rows in b.timeline.items()}

        def sims(query: np.ndarray, ids: list[str]) -> dict[str, float]:
            q = query / np.linalg.norm(query)
            return {m: max(float(vec[m] @ q), float(wide[m] @ q)) for m in ids}

        def search_vectors(query: np.ndarray, *, user_id: str, k: int, project_id: str | None = None) -> Any:
            return sorted(sims(query, ids_of[user_id]).items(), key=lambda x: -x[1])[:k]

        def vector_scores(query: np.ndarray, memory_ids: list[str], *, user_id: str) -> dict[str, float]:
            return sims(query, [m for m in memory_ids if m in vec])

        return engine.DEFAULT_TUNING, None, [
            patched(b.store, "search_vectors", search_vectors),
            patched(b.store, "vector_scores", vector_scores),
        ]  # fmt: skip

    return make


def lexical_power(p: float) -> Callable[[Bench], Variant]:
    """The lexical signal ``(bm25 / best bm25) ** p`` instead of the plain ratio."""

    def make(b: Bench) -> Variant:
        plain = b.store.search_lexical

        def search(text: str, **kw: Any) -> list[tuple[str, float]]:
            return [(m, s**p) for m, s in plain(text, **kw)]

        return engine.DEFAULT_TUNING, None, [patched(b.store, "search_lexical", search)]

    return make


def hedge_stopwords(words: str) -> Callable[[Bench], Variant]:
    """More stopwords for BM25 (both sides): e.g. "likely", which the stemmer turns into "like"."""

    def make(b: Bench) -> Variant:
        extra = frozenset(words.split("+"))
        lexicons = {}

        with patched(lexical, "STOPWORDS", lexical.STOPWORDS | extra):
            for user, rows in b.timeline.items():
                lex = UserLexicon()
                for r in rows:
                    lex.put(r.memory_id, r.content)
                lexicons[user] = lex

        def search(
            text: str, *, user_id: str, k: int, project_id: str | None = None, **_: Any
        ) -> list[tuple[str, float]]:
            with patched(lexical, "STOPWORDS", lexical.STOPWORDS | extra):
                return lexicons[user_id].search(text, k)

        return engine.DEFAULT_TUNING, None, [patched(b.store, "search_lexical", search)]

    return make


def similarity_tau(tau: float) -> Callable[[Bench], Variant]:
    """The similarity boost ``1 - e^(-tau·sim)`` with another tau (3 is upstream's): less saturation."""

    def make(b: Bench) -> Variant:

        return (
            engine.DEFAULT_TUNING,
            None,
            [patched(score, "SIMILARITY_TAU", tau), patched(engine, "SIMILARITY_TAU", tau)],
        )

    return make


_WH = r"(?:what|which|who|whom|whose|how|when|where|why)"
_AUX = r"(?:does|do|did|has|have|had|is|are|was|were|would|could|can|will|should|might|may)"


def declarative(b: Bench) -> Variant:
    """The dense side embeds the question as a statement: "What has Melanie painted?" -> "Melanie painted"."""
    embed = b.mem.embedder.embed_query

    def statement(text: str) -> Any:
        t = text.strip().rstrip("?").strip()
        t = re.sub(rf"^(?i:{_WH})(\s+(?i:kind|kinds|type|types|sort)\s+of)?\s+(\w+\s+)?(?i:{_AUX})\s+", r"\2", t)
        return embed(re.sub(rf"^(?i:{_AUX})\s+", "", t))

    return engine.DEFAULT_TUNING, None, [patched(b.mem.embedder, "embed_query", statement)]


def built_expansion(
    theta: float = THETA, weight: float = WEIGHT, per_word: int = PER_WORD
) -> Callable[[Bench], Variant]:
    """The vocabulary expansion as built (``engine/expand.py``, OM_WORD_EXPANSION), with its constants or others.

    Each owner's words and the questions' words are embedded before the run, so the CPU figure is a warm
    owner's with the question's word vectors cached."""

    def make(b: Bench) -> Variant:
        expander = Expander(b.mem.embedder, theta=theta, weight=weight, per_word=per_word)
        for conv in b.conversations:
            with b.store.session():
                vocabulary = b.store.vocabulary(user_id=conv.conversation_id)
                expander.warm(vocabulary)
                for q in conv.questions:
                    expander.terms(q.text, vocabulary)
        return engine.DEFAULT_TUNING, None, [patched(b, "expander", expander)]

    return make


_WORD = re.compile(r"[^\W_]+")


def word_expansion(theta: float, weight: float, per_word: int = 5) -> Callable[[Bench], Variant]:
    """Query expansion from the embedding model's own sense of word similarity, within the owner's vocabulary.

    Every word the owner's memories use (no stopwords, 3+ letters, no numbers) is embedded once. Each word of the
    question that is not a name is embedded too, and its nearest owner words (cosine >= ``theta``, at most
    ``per_word``) join the BM25 query with weight ``weight · cosine`` (the question's own terms weigh 1). The
    expansion can only use words the owner wrote, and it reads no other memory than the owner's."""

    def make(b: Bench) -> Variant:
        vocab: dict[str, tuple[list[str], np.ndarray]] = {}
        lexicons: dict[str, UserLexicon] = {}
        for user, rows in b.timeline.items():
            lex = UserLexicon()
            words: set[str] = set()
            for r in rows:
                lex.put(r.memory_id, r.content)
                words |= {w for w in _WORD.findall(r.content.lower()) if _content_word(w)}
            ordered = sorted(words)
            vectors = b.mem.embedder.embed(ordered)
            vocab[user] = (ordered, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
            lexicons[user] = lex
        cache: dict[str, np.ndarray] = {}

        def word_vector(word: str) -> np.ndarray:
            if word not in cache:
                v = b.mem.embedder.embed([word])[0]
                cache[word] = v / np.linalg.norm(v)
            return cache[word]

        def search(
            text: str, *, user_id: str, k: int, project_id: str | None = None, **_: Any
        ) -> list[tuple[str, float]]:
            words, vectors = vocab[user_id]
            names = {n.lower() for n in re.findall(r"\b[A-Z][a-z]+", text)}
            weights = dict.fromkeys(analyse(text), 1.0)
            for qw in _WORD.findall(text.lower()):
                if not _content_word(qw) or qw in names:
                    continue
                sims = vectors @ word_vector(qw)
                added = 0
                for i in np.argsort(-sims)[: per_word + 3]:
                    if sims[i] < theta or added >= per_word:
                        break
                    for term in analyse(words[i]):
                        if term not in weights:
                            weights[term] = weight * float(sims[i])
                            added += 1
            return _weighted_bm25(lexicons[user_id], weights, k)

        return engine.DEFAULT_TUNING, None, [patched(b.store, "search_lexical", search)]

    return make


def _content_word(word: str) -> bool:
    return len(word) > 2 and not word.isdigit() and word not in lexical.STOPWORDS


def _weighted_bm25(lex: UserLexicon, weights: dict[str, float], k: int) -> list[tuple[str, float]]:
    """``UserLexicon.search`` with a weight per query term (research copy: reads the lexicon's internals)."""
    n = len(lex._row_of)
    if n == 0:
        return []
    avg = lex._total_length / n
    lengths = np.frombuffer(lex._length, dtype=np.float32)
    scores = np.zeros(len(lex._ids), dtype=np.float32)
    for term, w in weights.items():
        posting = lex._postings.get(term)
        if posting is None:
            continue
        rows = np.frombuffer(posting[0], dtype=np.int32)
        tfs = np.frombuffer(posting[1], dtype=np.float32)
        idf = math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
        norm = tfs + lexical.K1 * (1 - lexical.B + lexical.B * lengths[rows] / avg)
        scores[rows] += w * idf * tfs * (lexical.K1 + 1) / norm
    hits = np.flatnonzero(scores > 0)
    hits = hits[np.argsort(-scores[hits], kind="stable")][:k]
    return [(str(lex._ids[int(r)]), float(scores[r])) for r in hits]


def _parse(name: str) -> Callable[[Bench], Variant]:
    fixed = {
        "current": v_current,
        "context-off": v_context_off,
        "old-sectors": v_old_sectors,
        "old-sectors-context-off": v_old_sectors_context_off,
        "declarative": declarative,
        "expand": built_expansion(),
    }
    if name in fixed:
        return fixed[name]
    kind, _, args = name.partition(":")
    nums = [float(a) for a in args.split(",")] if args and kind != "stopwords" else []
    makers: dict[str, Callable[[], Callable[[Bench], Variant]]] = {
        "mmr": lambda: mmr_embedding(nums[0]),
        "coverage": lambda: term_coverage(nums[0]),
        "entities": lambda: entity_walk(int(nums[0]), nums[1], int(nums[2]), bool(nums[3])),
        "speaker": lambda: speaker_prior(nums[0]),
        "exchange-lexical": lambda: exchange_lexical(int(nums[0]), int(nums[1]), nums[2]),
        "exchange-dense": lambda: exchange_dense(int(nums[0]), int(nums[1]), nums[2]),
        "lexical-power": lambda: lexical_power(nums[0]),
        "stopwords": lambda: hedge_stopwords(args),
        "tau": lambda: similarity_tau(nums[0]),
        "words": lambda: word_expansion(nums[0], nums[1], *(int(n) for n in nums[2:3])),
        "expand": lambda: built_expansion(*nums[:2], *(int(n) for n in nums[2:3])),
        "context": lambda: (
            lambda b: (
                replace(
                    engine.DEFAULT_TUNING, context_seeds=int(nums[0]), context_span=int(nums[1]), context_decay=nums[2]
                ),
                None,
                [],
            )
        ),
    }
    if kind not in makers:
        raise SystemExit(f"unknown variant {name!r}; see the module docstring and VARIANTS")
    return makers[kind]()


def _combined(parts: list[Callable[[Bench], Variant]]) -> Callable[[Bench], Variant]:
    """Several variants at once ("a&b"): every patch, the last tuning and the last re-ordering given."""
    if len(parts) == 1:
        return parts[0]

    def make(b: Bench) -> Variant:
        tuning, rerank, patches = engine.DEFAULT_TUNING, None, []
        for part in parts:
            t, r, p = part(b)
            tuning = t if t is not engine.DEFAULT_TUNING else tuning
            rerank = r or rerank
            patches += p
        return tuning, rerank, patches

    return make


VARIANTS = """current | context-off | old-sectors | old-sectors-context-off | context:SEEDS,SPAN,DECAY |
mmr:LAMBDA | coverage:LAMBDA | entities:SEEDS,BETA,MAX_DF,NAMES_ONLY(0/1) | speaker:BONUS |
exchange-lexical:BEFORE,AFTER,MIX | exchange-dense:BEFORE,AFTER,WEIGHT | lexical-power:P | stopwords:W1+W2 |
tau:TAU | declarative | words:THETA,WEIGHT[,PER_WORD] | expand[:THETA,WEIGHT[,PER_WORD]];
join several with & (old-sectors&speaker:0.02)"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="locomo10.json or the dev split")
    parser.add_argument("--split", default="dev", choices=["dev", "all"])
    parser.add_argument("--db", type=Path, help="keep the indexed conversations in this SQLite file")
    parser.add_argument("variants", nargs="+", help=VARIANTS)
    args = parser.parse_args()
    conversations = load_locomo(args.data, split=args.split)
    makers = [(name, _combined([_parse(part) for part in name.split("&")])) for name in args.variants]
    with ExitStack() as stack:
        db = args.db or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="opm-variants-"))) / "l.sqlite"
        fresh = not db.exists()
        mem = stack.enter_context(Memory(db))
        if fresh:
            for conv in conversations:
                for turn in conv.turns:
                    meta = {"dia_id": turn.dia_id, "session": turn.session, "session_date": turn.session_date}
                    mem.add(turn.text, user_id=conv.conversation_id, metadata=meta)
        bench = Bench(mem, conversations)
        for name, make in makers:
            tuning, rerank, patches = make(bench)
            with ExitStack() as run:
                for p in patches:
                    run.enter_context(p)
                s = bench.score(tuning, rerank)
            convs = " ".join(f"{c.conversation_id} {s[c.conversation_id]:.3f}" for c in conversations)
            print(
                f"{name:34s} overall {s['overall']:.3f}  mh {s['multi-hop']:.3f} tmp {s['temporal']:.3f} "
                f"od {s['open-domain']:.3f} sh {s['single-hop']:.3f}  {convs}  cpu p50 {s['cpu_ms']:.2f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
