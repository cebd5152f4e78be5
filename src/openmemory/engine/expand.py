"""Vocabulary expansion: a question's words bring in the owner's own words that the embedding model finds close.

Users ask in other words than they wrote ("education" for "edu", "paint" for "painting" and "art"). For each
question word that is not a name, the owner's words (``store/vocabulary.py``: every word with its stem, from
that owner's memories only) whose word vectors have cosine >= ``THETA`` with it join the BM25 query, at most
``PER_WORD`` of them, with weight ``WEIGHT * cosine`` (the question's own terms weigh 1). The candidates come
only from the asking owner's vocabulary, so an expansion can only name words that can match one of their
memories, and no other user's words are ever looked at.

Cost, kept off the query path: a word's vector is a property of the model, so ``WordVectors`` caches them by
word for the whole process (float16, bounded LRU). Per owner vocabulary (``Expander``), the owner's word matrix
grows as words arrive, and each question word's close words are kept and only compared with the words added
since, so a warm owner's repeated words cost a lookup. A question's words not cached yet are embedded in one
batched model call, together with the owner's words not embedded yet when there are at most ``QUERY_WORDS`` of
them (an owner's few new words since their last query). A larger backlog (a cold owner: thousands of words, ~1.4 ms
CPU each) is never embedded on the query path: one background thread per process embeds it (``_Fill``; asked for
by ``Memory.warm_up`` for the owners it preloads, and by an owner's query), and until an owner's vocabulary has
been embedded in full once, their queries are answered without the expansion, so an answer is either exactly the
unexpanded one or uses the owner's whole vocabulary, never a part that depends on how far the fill has got.
After that, a backlog larger than ``QUERY_WORDS`` (a bulk import) is embedded by the fill while queries use the
words embedded so far.
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from openmemory.engine.embed.base import Embedder
from openmemory.store.lexical_index import STOPWORDS, analyse
from openmemory.store.vocabulary import Vocabulary, is_content_word

# Measured on the LoCoMo development split (docs/benchmarks.md, `words:0.55,0.3`): every category and both
# conversations rose; a larger weight helps multi-hop but costs single-hop.
THETA = 0.55
WEIGHT = 0.3
PER_WORD = 5
WORD_ENTRIES = 50_000  # word vectors kept per process (float16: 768 bytes each at 384 dimensions, ~1 KB an entry)
QUESTION_WORDS_KEPT = 4096  # per owner vocabulary: question words whose close words are remembered
QUERY_WORDS = 16  # owner words a query embeds itself at most (~1.4 ms CPU each with MiniLM int8); more: the fill
FILL_BATCH = 256  # owner words per model call of the background fill
CLOSE_WAIT_S = 10.0  # at close, how long to wait for the fill's current model call

logger = logging.getLogger(__name__)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NAME = re.compile(r"\b[A-Z][a-z]+")
F16 = npt.NDArray[np.float16]
F32 = npt.NDArray[np.float32]


class WordVectors:
    """Unit word vectors of one embedding model, cached by word (a property of the model, not of any user)."""

    def __init__(self, embedder: Embedder, entries: int = WORD_ENTRIES) -> None:
        self._embedder = embedder
        self._entries = entries
        self._cache: OrderedDict[str, F16] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cache)

    def lookup(self, words: list[str]) -> F32:
        """The vectors of ``words`` (rows in order), embedding the missing ones in one model call."""
        found: dict[str, F16] = {}
        with self._lock:
            for word in words:
                hit = self._cache.get(word)
                if hit is not None:
                    self._cache.move_to_end(word)
                    found[word] = hit
        missing = list(dict.fromkeys(w for w in words if w not in found))
        if missing:
            fresh = self._embedder.embed_words(missing).astype(np.float16)
            with self._lock:
                for word, vector in zip(missing, fresh, strict=True):
                    found[word] = self._cache[word] = vector
                while len(self._cache) > self._entries:
                    self._cache.popitem(last=False)
        if not words:
            return np.zeros((0, self._embedder.dim), dtype=np.float32)
        return np.stack([found[w] for w in words]).astype(np.float32)

    def cached(self, word: str) -> bool:
        with self._lock:
            return word in self._cache


@dataclass(slots=True)
class _Close:
    """The owner's words within ``THETA`` of one question word, among the first ``compared`` of them."""

    compared: int
    vector: F32
    matches: list[tuple[float, int]]  # (cosine, word index), best first


@dataclass(slots=True)
class _OwnerWords:
    """Per owner vocabulary: its words' vectors in word order (float32: a question's words are compared with
    all of them in one product, no conversion) and the question words seen. ``complete`` once every word of
    the vocabulary has been embedded (it stays so: later words are caught up on the query path or, past
    ``QUERY_WORDS``, by the background fill while queries use the words embedded so far)."""

    matrix: F32
    rows: int = 0
    complete: bool = False
    close: OrderedDict[str, _Close] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Expander:
    """Turns a question into weighted expansion terms drawn from the asking owner's vocabulary."""

    def __init__(
        self, embedder: Embedder, *, theta: float = THETA, weight: float = WEIGHT, per_word: int = PER_WORD
    ) -> None:
        self.words = WordVectors(embedder)
        self.theta = theta
        self.weight = weight
        self.per_word = per_word
        self._dim = embedder.dim
        # Keyed by the vocabulary object itself: dropped with it when the owner's lexicon is rebuilt or evicted.
        self._owners: weakref.WeakKeyDictionary[Vocabulary, _OwnerWords] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._fill = _Fill(self)

    def terms(self, query: str, vocabulary: Vocabulary) -> dict[str, float]:
        """Stems to add to the owner's BM25 query, each with its weight (empty when nothing is close, and while
        the owner's vocabulary has not yet been embedded in full: see ``prefetch``)."""
        asked = question_words(query)
        if not asked or len(vocabulary) == 0:
            return {}
        owner = self._owner(vocabulary)
        with owner.lock:
            if not self._catch_up(owner, vocabulary, asked):
                return {}
            own = set(analyse(query))
            weights: dict[str, float] = {}
            for word in asked:
                added = 0
                for cosine, index in owner.close[word].matches:
                    if added >= self.per_word:
                        break
                    stem = vocabulary.stem(index)
                    if stem in own or stem in weights or not vocabulary.is_live(index):
                        continue
                    weights[stem] = self.weight * cosine
                    added += 1
        return weights

    def embed_question(self, query: str) -> None:
        """Embed the question's words now (cached by word), before a store session holds a connection; needs
        no store access, so it costs no extra database round trip."""
        self.words.lookup(question_words(query))

    def prefetch(self, vocabulary: Vocabulary) -> None:
        """Have the background fill embed the owner's words not embedded yet (server start-up, a first query)."""
        if len(vocabulary) > self._owner(vocabulary).rows:
            self._fill.add(vocabulary)

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until the background fill has nothing left to embed; False when ``timeout_s`` passed first."""
        return self._fill.wait_idle(timeout_s)

    def close(self) -> None:
        """Stop the background fill (what is queued is dropped; the batch being embedded ends first)."""
        self._fill.close(CLOSE_WAIT_S)

    def warm(self, vocabulary: Vocabulary) -> None:
        """Embed all of the owner's words now, in this thread, so no later query pays for them."""
        owner = self._owner(vocabulary)
        while self._embed_next(owner, vocabulary, FILL_BATCH):
            pass

    def _owner(self, vocabulary: Vocabulary) -> _OwnerWords:
        with self._lock:
            owner = self._owners.get(vocabulary)
            if owner is None:
                owner = self._owners[vocabulary] = _OwnerWords(np.zeros((0, self._dim), dtype=np.float32))
            return owner

    def _embed_next(self, owner: _OwnerWords, vocabulary: Vocabulary, batch: int) -> bool:
        """Embed the owner's next ``batch`` words outside the owner's lock (queries go on meanwhile), then add
        them unless a query added them first; False when there was nothing left."""
        with owner.lock:
            start = owner.rows
            pending = vocabulary.words[start : start + batch]
            if not pending:
                owner.complete = True
                return False
        vectors = self.words.lookup(pending)
        with owner.lock:
            if owner.rows == start:  # else a query embedded them meanwhile
                _append(owner, vectors)
        return True

    def _catch_up(self, owner: _OwnerWords, vocabulary: Vocabulary, asked: list[str]) -> bool:
        """Embed the question's new words and, when at most ``QUERY_WORDS`` are behind, the owner's new words,
        in one model call; then bring each asked word's close words up to date with the owner's words embedded
        so far. False, with no model call, while the owner's vocabulary has never been embedded in full (the
        background fill is asked for it). Caller holds the owner's lock."""
        behind = vocabulary.words[owner.rows :]
        if len(behind) > QUERY_WORDS:
            self._fill.add(vocabulary)
            if not owner.complete:
                return False
            behind = []
        new_asked = [w for w in asked if w not in owner.close]
        vectors = self.words.lookup(new_asked + behind)
        if behind:
            _append(owner, vectors[len(new_asked) :])
        owner.complete = True
        for word, vector in zip(new_asked, vectors, strict=False):
            owner.close[word] = _Close(0, vector, [])
        self._compare(owner, asked)
        for word in asked:
            owner.close.move_to_end(word)
        while len(owner.close) > QUESTION_WORDS_KEPT:
            owner.close.popitem(last=False)
        return True

    def _compare(self, owner: _OwnerWords, words: list[str]) -> None:
        """Compare each of ``words`` (question words seen) with the owner's words added since it last was, in
        one product (caller holds the owner's lock)."""
        stale = [owner.close[w] for w in words if owner.close[w].compared < owner.rows]
        if not stale:
            return
        since = min(e.compared for e in stale)
        cosines = owner.matrix[since : owner.rows] @ np.stack([e.vector for e in stale]).T
        for column, entry in enumerate(stale):
            fresh = cosines[entry.compared - since :, column]
            found = np.flatnonzero(fresh >= self.theta)
            entry.matches += [(float(fresh[i]), int(i) + entry.compared) for i in found]
            entry.matches.sort(key=lambda m: (-m[0], m[1]))
            entry.compared = owner.rows


class _Fill:
    """One background thread per expander that embeds owners' vocabularies, ``FILL_BATCH`` words a model call,
    oldest request first; started on first use, it ends when nothing is left and starts again when needed."""

    def __init__(self, expander: Expander) -> None:
        self._expander = weakref.ref(expander)
        self._queue: OrderedDict[int, weakref.ref[Vocabulary]] = OrderedDict()
        self._busy = False
        self._closed = False
        self._cond = threading.Condition()

    def add(self, vocabulary: Vocabulary) -> None:
        with self._cond:
            queued = self._queue.get(id(vocabulary))
            if queued is None or queued() is not vocabulary:
                self._queue[id(vocabulary)] = weakref.ref(vocabulary)
            if not self._busy and not self._closed:
                self._busy = True
                threading.Thread(target=self._run, name="openmemory-word-fill", daemon=True).start()

    def wait_idle(self, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy, timeout_s)

    def close(self, timeout_s: float) -> None:
        """Drop what is queued and wait for the batch being embedded."""
        with self._cond:
            self._closed = True
            self._queue.clear()
        self.wait_idle(timeout_s)

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue:
                    self._busy = False
                    self._cond.notify_all()
                    return
                _, ref = self._queue.popitem(last=False)
            vocabulary, expander = ref(), self._expander()
            if vocabulary is None or expander is None:
                continue
            try:
                owner = expander._owner(vocabulary)
                while not self._closed and expander._embed_next(owner, vocabulary, FILL_BATCH):
                    pass
            except Exception:  # a failing model must not kill the fill: that owner stays unexpanded
                logger.exception("embedding an owner's vocabulary failed")


def _append(owner: _OwnerWords, vectors: F32) -> None:
    """Add rows to the owner's word matrix, growing its capacity by a quarter (at most 25% of it unused)."""
    needed = owner.rows + len(vectors)
    if needed > owner.matrix.shape[0]:
        capacity = max(needed, owner.matrix.shape[0] * 5 // 4, 256)
        grown = np.zeros((capacity, owner.matrix.shape[1]), dtype=np.float32)
        grown[: owner.rows] = owner.matrix[: owner.rows]
        owner.matrix = grown
    owner.matrix[owner.rows : needed] = vectors
    owner.rows = needed


def question_words(query: str) -> list[str]:
    """The question's words worth expanding: lower-case, no stopwords, no numbers or short words, and no
    names (a capitalised word: "Caroline" has no synonyms, and its neighbours are other people's names)."""
    names = {n.lower() for n in _NAME.findall(query)}
    words = (w for w in _WORD.findall(query.lower()) if w not in STOPWORDS and w not in names)
    return list(dict.fromkeys(w for w in words if is_content_word(w)))
