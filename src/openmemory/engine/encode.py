"""Turning new content into what the store keeps: sectors, per-sector vectors and the mean vector.

This is the part of upstream's add flow (reference §3.6 steps 3, 9, 10) that needs the embedder but no
database, so the service can run it before opening a write transaction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from openmemory.engine.chunking import chunk_text
from openmemory.engine.classify import classify
from openmemory.engine.embed.base import Embedder, Vectors, l2_normalise
from openmemory.engine.sectors import SECTOR_WEIGHT
from openmemory.models import Classification

MEAN_BETA = 2.0  # softmax temperature over sector weights, upstream's hybrid_params.beta


@dataclass(frozen=True, slots=True)
class Encoded:
    """Sectors and vectors of one piece of content."""

    classification: Classification
    sector_vectors: dict[str, Vectors]
    mean: Vectors
    chunks: int


def sector_sensitive(embedder: Embedder) -> bool:
    """Whether the embedder gives different vectors per sector (only the synthetic one does)."""
    return embedder.name.startswith("synthetic")


def encode_many(
    embedder: Embedder, contents: Sequence[str], metadatas: Sequence[Mapping[str, Any] | None]
) -> list[Encoded]:
    """Classify and embed several contents with as few embedder calls as possible."""
    classes = [classify(c, m) for c, m in zip(contents, metadatas, strict=True)]
    pieces = [[ch.text for ch in chunk_text(c)] or [c] for c in contents]
    if sector_sensitive(embedder):
        per_item = [_embed_per_sector(embedder, p, cls) for p, cls in zip(pieces, classes, strict=True)]
    else:
        flat = [text for p in pieces for text in p]
        vectors = embedder.embed(flat) if flat else np.zeros((0, embedder.dim), dtype=np.float32)
        per_item = []
        start = 0
        for p, cls in zip(pieces, classes, strict=True):
            vec = _mean_rows(vectors[start : start + len(p)])
            start += len(p)
            per_item.append(dict.fromkeys(cls.sectors, vec))
    return [
        Encoded(cls, vecs, mean_vector(vecs), len(p)) for cls, vecs, p in zip(classes, per_item, pieces, strict=True)
    ]


def _embed_per_sector(embedder: Embedder, pieces: list[str], cls: Classification) -> dict[str, Vectors]:
    return {sector: _mean_rows(embedder.embed(pieces, sector=sector)) for sector in cls.sectors}


def _mean_rows(rows: Vectors) -> Vectors:
    if rows.shape[0] == 1:
        return np.asarray(rows[0], dtype=np.float32)
    return np.asarray(l2_normalise(rows.mean(axis=0, keepdims=True))[0], dtype=np.float32)


def mean_vector(sector_vectors: Mapping[str, Vectors]) -> Vectors:
    """Softmax-weighted (by sector weight) mean of the sector vectors, L2-normalised."""
    weights = {s: math.exp(MEAN_BETA * SECTOR_WEIGHT.get(s, 1.0)) for s in sector_vectors}
    total = sum(weights.values())
    mean = sum((weights[s] / total) * v.astype(np.float64) for s, v in sector_vectors.items())
    return np.asarray(l2_normalise(np.asarray(mean, dtype=np.float32).reshape(1, -1))[0], dtype=np.float32)
