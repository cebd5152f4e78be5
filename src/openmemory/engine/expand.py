"""Vocabulary expansion: a question's words bring in the owner's own words that the embedding model finds close.

Users ask in other words than they wrote ("education" for "edu", "paint" for "painting" and "art"). For each
question word that is not a name, the owner's words (``store/vocabulary.py``: every word with its stem, from
that owner's memories only) whose word vectors have cosine >= ``THETA`` with it join the BM25 query, at most
``PER_WORD`` of them, with weight ``WEIGHT * cosine`` (the question's own terms weigh 1). The candidates come
only from the asking owner's vocabulary, so an expansion can only name words that can match one of their
memories, and no other user's words are ever looked at.

Cost, kept off the query path where it can be: a word's vector is a property of the model, so ``WordVectors``
caches them by word for the whole process (float16, bounded LRU); the question's missing words are embedded in
one batched model call, together with up to ``VOCABULARY_BATCH`` of the owner's words not embedded yet. Per
owner vocabulary (``Expander``), the owner's word matrix grows as words arrive, and each question word's close
words are kept and only compared with the words added since, so a warm owner's repeated words cost a lookup.
"""

from __future__ import annotations

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
WORD_ENTRIES = 200_000  # word vectors kept per process (float16: 768 bytes each at 384 dimensions)
QUESTION_WORDS_KEPT = 4096  # per owner vocabulary: question words whose close words are remembered
VOCABULARY_BATCH = 1024  # owner words embedded on one query at most (~1.1 ms CPU each with MiniLM int8)

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
    all of them in one product, no conversion) and the question words seen."""

    matrix: F32
    rows: int = 0
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

    def terms(self, query: str, vocabulary: Vocabulary) -> dict[str, float]:
        """Stems to add to the owner's BM25 query, each with its weight (empty when nothing is close)."""
        asked = question_words(query)
        if not asked or len(vocabulary) == 0:
            return {}
        owner = self._owner(vocabulary)
        with owner.lock:
            self._fill(owner, vocabulary, asked)
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

    def warm(self, vocabulary: Vocabulary) -> None:
        """Embed all of the owner's words now (in batches), so no later query pays for them."""
        owner = self._owner(vocabulary)
        with owner.lock:
            while owner.rows < len(vocabulary):
                self._fill(owner, vocabulary, [])

    def _owner(self, vocabulary: Vocabulary) -> _OwnerWords:
        with self._lock:
            owner = self._owners.get(vocabulary)
            if owner is None:
                owner = self._owners[vocabulary] = _OwnerWords(np.zeros((0, self._dim), dtype=np.float32))
            return owner

    def _fill(self, owner: _OwnerWords, vocabulary: Vocabulary, asked: list[str]) -> None:
        """Embed what this question needs in one model call, then bring each asked word's close words up to
        date with the owner's words embedded so far (caller holds the owner's lock)."""
        start = owner.rows
        pending = vocabulary.words[start : start + VOCABULARY_BATCH]
        new_asked = [w for w in asked if w not in owner.close]
        vectors = self.words.lookup(new_asked + pending)
        if pending:
            _append(owner, vectors[len(new_asked) :])
        for word, vector in zip(new_asked, vectors, strict=False):
            owner.close[word] = _Close(0, vector, [])
        stale = [owner.close[w] for w in asked if owner.close[w].compared < owner.rows]
        if stale:  # one product for every asked word behind the owner's words
            since = min(e.compared for e in stale)
            cosines = owner.matrix[since : owner.rows] @ np.stack([e.vector for e in stale]).T
            for column, entry in enumerate(stale):
                fresh = cosines[entry.compared - since :, column]
                found = np.flatnonzero(fresh >= self.theta)
                entry.matches += [(float(fresh[i]), int(i) + entry.compared) for i in found]
                entry.matches.sort(key=lambda m: (-m[0], m[1]))
                entry.compared = owner.rows
        for word in asked:
            owner.close.move_to_end(word)
        while len(owner.close) > QUESTION_WORDS_KEPT:
            owner.close.popitem(last=False)


def _append(owner: _OwnerWords, vectors: F32) -> None:
    """Add rows to the owner's word matrix, growing its capacity by doubling."""
    needed = owner.rows + len(vectors)
    if needed > owner.matrix.shape[0]:
        grown = np.zeros((max(needed, 2 * owner.matrix.shape[0], 256), owner.matrix.shape[1]), dtype=np.float32)
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
