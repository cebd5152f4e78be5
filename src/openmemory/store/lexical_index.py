"""An in-process, per-user BM25 index: lexical search whose statistics come from one user's memories only.

A full-text index shared by all users (SQLite FTS5, for one) ranks with corpus-wide document frequencies, so
another user's memories would shift the ranking of yours. Here each (user) has its own postings, document
lengths and document frequencies, built lazily from that user's rows and kept in step with the store's writes.

Text analysis: lower-case runs of letters and digits, English stopwords removed, Snowball English stemmer
(PyStemmer). Scoring is Okapi BM25 with the Lucene idf ``log(1 + (N - df + 0.5) / (df + 0.5))``, which stays
positive for words that most memories share (a speaker's name in a chat log, say).
"""

from __future__ import annotations

import math
import re
import threading
from array import array
from collections import Counter
from collections.abc import Mapping

import numpy as np
import Stemmer

from openmemory.store.project_codes import ProjectCodes
from openmemory.store.vocabulary import Vocabulary

K1 = 1.2
B = 0.75
MAX_CACHED_TERMS = 4096  # terms whose weighted postings a user's lexicon keeps between queries
BLOCK = 256  # rows per block of a search's score array (top_rows)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# NLTK's English list. Contractions split at the apostrophe, so their pieces ("don", "t", "ll") are in it.
# fmt: off
STOPWORDS = frozenset({
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself",
    "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself",
    "they", "them", "their", "theirs", "themselves", "what", "which", "who", "whom", "this", "that",
    "these", "those", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had",
    "having", "do", "does", "did", "doing", "a", "an", "the", "and", "but", "if", "or", "because", "as",
    "until", "while", "of", "at", "by", "for", "with", "about", "against", "between", "into", "through",
    "during", "before", "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off",
    "over", "under", "again", "further", "then", "once", "here", "there", "when", "where", "why", "how",
    "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no", "nor", "not",
    "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will", "just", "don", "should",
    "now", "d", "ll", "m", "o", "re", "ve", "y", "ain", "aren", "couldn", "didn", "doesn", "hadn", "hasn",
    "haven", "isn", "ma", "mightn", "mustn", "needn", "shan", "shouldn", "wasn", "weren", "won", "wouldn",
})
# fmt: on

_stemmer = Stemmer.Stemmer("english")
_stem_lock = threading.Lock()  # a PyStemmer object is not safe to share between threads


def analyse(text: str) -> list[str]:
    """Lower-case words of ``text`` without stopwords, stemmed: the terms BM25 counts."""
    return [stem for _, stem in analysed_words(text)]


def analysed_words(text: str) -> list[tuple[str, str]]:
    """Each lower-case word of ``text`` that is not a stopword, with its stem."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
    with _stem_lock:
        stems = _stemmer.stemWords(words)
    return list(zip(words, stems, strict=True))


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the ``k`` best positive scores, best first (equal scores: lower row first among those picked).

    ``scores`` has a multiple of BLOCK rows. A large owner's questions match a large share of their memories
    (a name or a place in every tenth one), so finding the hits with ``scores > 0`` and selecting among them
    touched every matching row twice more; instead the best score of each block of BLOCK rows gives a floor:
    at least ``k`` rows score at least the k-th best block's best, so only blocks reaching that floor can hold
    the top ``k``.
    """
    blocks = len(scores) // BLOCK
    if blocks > 4 * k:
        best = scores.reshape(blocks, BLOCK).max(axis=1)
        floor = np.partition(best, blocks - k)[blocks - k]
        if floor > 0:
            rows = (np.flatnonzero(best >= floor)[:, None] * BLOCK + np.arange(BLOCK)).ravel()
            rows = rows[scores[rows] >= floor]
            picked: np.ndarray = rows[np.argsort(-scores[rows], kind="stable")[:k]]
            return picked
    rows = np.flatnonzero(scores > 0)
    if len(rows) > k:
        rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
    return rows[np.argsort(-scores[rows], kind="stable")]


class UserLexicon:
    """BM25 postings of one user's memories."""

    def __init__(self) -> None:
        self._ids: list[str | None] = []
        self._row_of: dict[str, int] = {}
        self._length = array("f")
        self._alive = array("b")
        self._postings: dict[str, tuple[array[int], array[float]]] = {}
        self._total_length = 0.0
        self._projects = ProjectCodes()
        # Per-term BM25 contributions (live rows, scores) for the current contents; any write clears them.
        # Questions keep asking about the same few terms (names, places), whose postings are the long ones.
        self._weights: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._alive_mask: np.ndarray | None = None
        self.vocabulary = Vocabulary()

    def __len__(self) -> int:
        return len(self._row_of)

    def put(self, memory_id: str, text: str, project_id: str | None = None) -> None:
        self.remove(memory_id)
        self._changed()
        pairs = analysed_words(text)
        terms = [stem for _, stem in pairs]
        row = len(self._ids)
        self.vocabulary.add_row(row, pairs)
        self._ids.append(memory_id)
        self._row_of[memory_id] = row
        self._length.append(float(len(terms)))
        self._alive.append(1)
        self._projects.set(row, project_id)
        self._total_length += len(terms)
        for term, tf in Counter(terms).items():
            rows, tfs = self._postings.setdefault(term, (array("i"), array("f")))
            rows.append(row)
            tfs.append(float(tf))

    def remove(self, memory_id: str) -> None:
        row = self._row_of.pop(memory_id, None)
        if row is not None:
            self._changed()
            self.vocabulary.remove_row(row)
            self._alive[row] = 0
            self._ids[row] = None
            self._total_length -= self._length[row]

    def search(
        self, text: str, k: int, project_id: str | None = None, expansion: Mapping[str, float] | None = None
    ) -> list[tuple[str, float]]:
        """BM25 top-k; with ``project_id``, only rows visible in that project rank (the statistics stay the
        owner's, so a memory scores the same whichever of its projects asks).

        ``expansion`` adds terms (stems) with a weight each; the text's own terms weigh 1, and an expansion
        term that is also one of them keeps weight 1."""
        n_docs = len(self._row_of)
        terms = dict.fromkeys(analyse(text), 1.0)
        if expansion:
            terms = {**expansion, **terms}
        if n_docs == 0 or not terms:
            return []
        scores = np.zeros(-(-len(self._ids) // BLOCK) * BLOCK, dtype=np.float32)  # whole blocks (top_rows)
        for term, weight in terms.items():
            weighted = self._term_weights(term, n_docs)
            if weighted is None:
                continue
            if weight == 1.0:
                scores[weighted[0]] += weighted[1]
            else:
                scores[weighted[0]] += np.float32(weight) * weighted[1]
        hidden = self._projects.hidden(project_id, len(self._ids))
        if hidden is not None:
            scores[: len(hidden)][hidden] = 0.0
        hit_rows = top_rows(scores, k)
        ids = self._ids
        return [(str(ids[r]), s) for r, s in zip(hit_rows.tolist(), scores[hit_rows].tolist(), strict=True)]

    def _changed(self) -> None:
        self._weights.clear()
        self._alive_mask = None

    def _term_weights(self, term: str, n_docs: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The live rows holding ``term`` and its BM25 score in each, None when no live row holds it."""
        cached = self._weights.get(term)
        if cached is not None:
            return cached
        posting = self._postings.get(term)
        if posting is None:
            return None
        if self._alive_mask is None:
            self._alive_mask = np.frombuffer(self._alive, dtype=np.int8).astype(bool)
        lengths = np.frombuffer(self._length, dtype=np.float32)
        avg_length = max(self._total_length / n_docs, 1e-9)
        rows = np.frombuffer(posting[0], dtype=np.int32)
        tfs = np.frombuffer(posting[1], dtype=np.float32)
        live = self._alive_mask[rows]
        rows, tfs = rows[live], tfs[live]
        df = len(rows)
        if df == 0:
            return None
        idf = math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        norm = tfs + K1 * (1.0 - B + B * lengths[rows] / avg_length)
        if len(self._weights) >= MAX_CACHED_TERMS:
            self._weights.clear()
        weighted = self._weights[term] = (rows, idf * tfs * (K1 + 1.0) / norm)
        return weighted


class LexicalIndex:
    """The per-user lexicons of one store, loaded lazily and kept in step with its writes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str | None, UserLexicon] = {}

    def clear(self) -> None:
        with self._lock:
            self._users.clear()

    def get(self, user_id: str | None) -> UserLexicon | None:
        with self._lock:
            return self._users.get(user_id)

    def install(self, user_id: str | None, lexicon: UserLexicon) -> UserLexicon:
        with self._lock:
            return self._users.setdefault(user_id, lexicon)

    def put(self, user_id: str | None, memory_id: str, text: str, project_id: str | None = None) -> None:
        with self._lock:
            lexicon = self._users.get(user_id)
            if lexicon is not None:
                lexicon.put(memory_id, text, project_id)

    def remove(self, user_id: str | None, memory_id: str) -> None:
        with self._lock:
            lexicon = self._users.get(user_id)
            if lexicon is not None:
                lexicon.remove(memory_id)

    def drop_user(self, user_id: str | None) -> None:
        with self._lock:
            self._users.pop(user_id, None)

    def search(
        self,
        user_id: str | None,
        text: str,
        k: int,
        project_id: str | None = None,
        expansion: Mapping[str, float] | None = None,
    ) -> list[tuple[str, float]]:
        """BM25 top-k of one user's lexicon (empty when it is not loaded); writes wait meanwhile."""
        with self._lock:
            lexicon = self._users.get(user_id)
            return [] if lexicon is None else lexicon.search(text, k, project_id, expansion)

    def vocabulary(self, user_id: str | None) -> Vocabulary | None:
        """The words of one user's lexicon (None when it is not loaded)."""
        with self._lock:
            lexicon = self._users.get(user_id)
            return None if lexicon is None else lexicon.vocabulary
