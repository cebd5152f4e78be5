"""Okapi BM25 over stemmed, stopword-free tokens: the lexical baseline of the LoCoMo benchmark.

Tokens are runs of letters and digits, lower-cased, with English stopwords removed and the Snowball English
stemmer applied (PyStemmer). Scores use the Lucene idf, `log(1 + (N - df + 0.5) / (df + 0.5))`, which stays
positive for terms present in more than half the documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from openmemory.bench.locomo import Turn
from openmemory.store.lexical_index import analyse

# Textbook values (Robertson and Zaragoza), kept so the baseline is the standard one. On the LoCoMo dev split
# (frac recall@10) they score 0.630; k1 barely matters (0.6..2.0) and b = 0.3 scores 0.647, b = 0 0.649.
K1 = 1.2
B = 0.75


def tokenize(text: str) -> list[str]:
    """The engine's own analysis (see ``openmemory.store.lexical_index.analyse``), so both rank the same terms."""
    return analyse(text)


class BM25Index:
    """BM25 weights for a fixed list of documents, precomputed so that a query is one column sum."""

    def __init__(self, documents: Sequence[Sequence[str]], *, k1: float = K1, b: float = B) -> None:
        """Index documents given as token lists; a document's position is its index in `scores`."""
        self.k1 = k1
        self.b = b
        counts = [Counter(tokens) for tokens in documents]
        self._columns: dict[str, int] = {}
        for document in counts:
            for term in document:
                self._columns.setdefault(term, len(self._columns))
        tf = np.zeros((len(counts), len(self._columns)), dtype=np.float32)
        for row, document in enumerate(counts):
            for term, count in document.items():
                tf[row, self._columns[term]] = count
        lengths = tf.sum(axis=1, keepdims=True)
        average = float(lengths.mean()) if len(counts) and lengths.mean() > 0 else 1.0
        df = (tf > 0).sum(axis=0)
        idf = np.log1p((len(counts) - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = k1 * (1 - b + b * lengths / average)
        self._weights: npt.NDArray[np.float32] = (idf * tf * (k1 + 1) / (tf + norm)).astype(np.float32)

    def __len__(self) -> int:
        return int(self._weights.shape[0])

    def scores(self, query: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return one BM25 score per document; each distinct query term counts once, unknown terms add 0."""
        columns = sorted({self._columns[term] for term in query if term in self._columns})
        if not columns:
            return np.zeros(len(self), dtype=np.float32)
        summed: npt.NDArray[np.float32] = self._weights[:, columns].sum(axis=1, dtype=np.float32)
        return summed

    def top(self, query: Sequence[str], k: int) -> list[int]:
        """Return positions of at most `k` documents with a positive score, best first, ties by position."""
        scores = self.scores(query)
        order = np.argsort(-scores, kind="stable")[:k]
        return [int(position) for position in order if scores[position] > 0]


class BM25Retriever:
    """A `Retriever` that ranks a conversation's turns by BM25 over `tokenize`d turn text."""

    def __init__(self, *, k1: float = K1, b: float = B) -> None:
        self.k1 = k1
        self.b = b
        self._indexes: dict[str, tuple[BM25Index, list[str]]] = {}

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        """Replace any earlier index of `conversation_id` with these turns."""
        documents = [tokenize(turn.text) for turn in turns]
        index = BM25Index(documents, k1=self.k1, b=self.b)
        self._indexes[conversation_id] = (index, [turn.dia_id for turn in turns])

    def search(self, conversation_id: str, question: str, k: int) -> list[str]:
        """Return at most `k` dia_ids that share a term with `question`, best first."""
        index, dia_ids = self._indexes[conversation_id]
        return [dia_ids[position] for position in index.top(tokenize(question), k)]
