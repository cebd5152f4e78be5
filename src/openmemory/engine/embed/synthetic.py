"""SyntheticEmbedder: upstream's deterministic hashed-feature vectors (``gen_syn_emb``, reference §3.5).

No model and no network: each text becomes a bag of hashed features (canonical tokens, character 3- and
4-grams, token bi-, tri- and skip-grams, a length bucket) plus sinusoidal position terms. The sector name
is part of every feature key, so one text gets a different vector per sector.

The arithmetic follows upstream's JavaScript step by step, including its ``Float32Array`` accumulator
(every ``+=`` rounds to float32) and its sequential float64 norm, so vectors match the ones upstream
stored. Good enough for tests and for zero-dependency use; it knows nothing about meaning beyond
shared words.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from openmemory.engine.embed.base import Vectors
from openmemory.engine.text import canonical_tokens
from openmemory.errors import InvalidInput, UnknownSector
from openmemory.models import SECTORS

# Upstream's `sec_wts` (reference §3.1, last column); distinct from the classifier weights.
SECTOR_WEIGHTS: dict[str, float] = {
    "episodic": 1.3,
    "semantic": 1.0,
    "procedural": 1.2,
    "emotional": 1.4,
    "reflective": 0.9,
}
DEFAULT_SECTOR = "semantic"

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 16777619
_MURMUR_SEED = 0xDEADBEEF
_MURMUR_MULT = 0x5BD1E995
_MASK32 = 0xFFFFFFFF


@lru_cache(maxsize=1 << 16)
def _feature_hashes(key: str) -> tuple[int, int]:
    """FNV-1a and upstream's murmur-like hash of key, both over UTF-16 code units, as uint32."""
    h1 = _FNV_OFFSET
    h2 = _MURMUR_SEED
    for unit in memoryview(key.encode("utf-16-le", "surrogatepass")).cast("H"):
        h1 = ((h1 ^ unit) * _FNV_PRIME) & _MASK32
        h2 = ((h2 ^ unit) * _MURMUR_MULT) & _MASK32
        h2 ^= h2 >> 13
    return h1, h2


class SyntheticEmbedder:
    """Upstream-compatible synthetic vectors of ``dim`` dimensions (upstream's ``OM_VEC_DIM``)."""

    def __init__(self, dim: int = 256) -> None:
        if dim < 1:
            raise InvalidInput(f"synthetic embedder dimension must be >= 1, got {dim}", field="dim")
        self._dim = dim

    @property
    def name(self) -> str:
        return f"synthetic-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def embed_words(self, words: Sequence[str]) -> Vectors:
        """Words are embedded as texts of the default sector."""
        return self.embed(words)

    def embed(self, texts: Sequence[str], *, sector: str | None = None) -> Vectors:
        """One row per text; ``sector=None`` means ``"semantic"``, as upstream's default.

        Raises UnknownSector for a sector name that is not one of the five.
        """
        sector = DEFAULT_SECTOR if sector is None else sector
        if sector not in SECTORS:
            raise UnknownSector(sector)
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._embed_one(text, sector)
        return out

    def embed_query(self, text: str) -> Vectors:
        """The semantic-sector vector of one text, 1-D."""
        row: Vectors = self.embed([text])[0]
        return row

    def _embed_one(self, text: str, sector: str) -> Vectors:
        d = self._dim
        tokens = canonical_tokens(text)
        if not tokens:
            return np.full(d, 1 / math.sqrt(d), dtype=np.float32)

        # array('f') stores float32 and reads back float64, which is exactly Float32Array's `+=`.
        v = array("f", bytes(4 * d))

        def feat(key: str, w: float) -> None:
            h1, h2 = _feature_hashes(key)
            val = -w if h1 & 1 else w
            v[h1 % d] += val  # h % d equals upstream's h & (d-1) when d is a power of two
            v[h2 % d] += val * 0.5

        s = sector
        sw = SECTOR_WEIGHTS[sector]
        # Upstream's synonym expansion and term counts reduce to: distinct tokens, each counted once.
        distinct = list(dict.fromkeys(tokens))
        el = len(distinct)
        dl = math.log(1 + el)
        w = (1 / el * math.log(1 + el / 1) + 1) * sw
        for tok in distinct:
            # Canonical tokens hold only BMP characters, so str slicing equals JS UTF-16 slicing.
            feat(f"{s}|tok|{tok}", w)
            if len(tok) >= 3:
                for i in range(len(tok) - 2):
                    feat(f"{s}|c3|{tok[i : i + 3]}", w * 0.4)
            if len(tok) >= 4:
                for i in range(len(tok) - 3):
                    feat(f"{s}|c4|{tok[i : i + 4]}", w * 0.3)
        n = len(tokens)
        for i in range(n - 1):
            feat(f"{s}|bi|{tokens[i]}_{tokens[i + 1]}", 1.4 * sw * (1.0 / (1.0 + i * 0.1)))
        for i in range(n - 2):
            feat(f"{s}|tri|{tokens[i]}_{tokens[i + 1]}_{tokens[i + 2]}", 1.0 * sw)
        for i in range(min(n - 2, 20)):
            feat(f"{s}|skip|{tokens[i]}_{tokens[i + 2]}", 0.7 * sw)
        pos_w = (0.5 * sw) / dl
        for i in range(min(n, 50)):
            idx = i % d
            ang = i / math.pow(10000, (2 * idx) / d)
            v[idx] += pos_w * math.sin(ang)
            v[(idx + 1) % d] += pos_w * math.cos(ang)
        feat(f"{s}|len|{min(math.floor(math.log2(el + 1)), 10)}", 0.6 * sw)
        feat(f"{s}|dens|{math.floor(len(distinct) / el * 10)}", 0.5 * sw)
        return _normalise_like_js(v)


def _normalise_like_js(v: array[float]) -> Vectors:
    """Upstream's norm_v: a sequential float64 sum of squares, then each float32 times 1/sqrt."""
    total = 0.0
    for x in v:
        total += x * x
    as_f64 = np.frombuffer(v, dtype=np.float32).astype(np.float64)
    if total == 0:
        return as_f64.astype(np.float32)
    return (as_f64 * (1 / math.sqrt(total))).astype(np.float32)
