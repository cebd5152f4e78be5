"""The ``openmemory-jsonl`` file format: one JSON object per line, UTF-8, ``\\n``-separated.

    {"format": "openmemory-jsonl", "version": 1, "embedder": {"model": "...", "dim": 384}, "with_vectors": true, ...}
    {"kind": "user", "user_id": "alice", "summary": "...", "reflection_count": 2, "created_at_ms": ..., ...}
    {"kind": "memory", "id": "...", "user_id": "alice", "content": "...", ..., "waypoints": [...], "vectors": {...}}
    {"kind": "fact", ...}   {"kind": "edge", ...}
    {"kind": "end", "counts": {"user": 1, "memory": 120, "fact": 0, "edge": 0}}

The first line names the format and its version, so a file of another format or a newer version is refused
before anything is written; the last line (``end``) carries the record counts, so a truncated file is refused
too. Vectors are base64 of the float32 little-endian bytes the stores keep, so they travel bit for bit.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openmemory.errors import SourceFormatError
from openmemory.models import Fact, FactEdge, MemoryRecord, SectorVector, UserRecord, Waypoint
from openmemory.store.base import StoredMemory
from openmemory.store.codec import Vector, decode_vector, encode_vector

FORMAT = "openmemory-jsonl"
VERSION = 1
KINDS = ("user", "memory", "fact", "edge")
Line = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Header:
    """The first line: format version, the embedder the vectors came from, whether they are included."""

    embed_model: str
    embed_dim: int
    with_vectors: bool
    created_at_ms: int
    user_ids: tuple[str | None, ...] | None = None  # None: every user was exported

    def to_line(self) -> Line:
        return {
            "format": FORMAT,
            "version": VERSION,
            "embedder": {"model": self.embed_model, "dim": self.embed_dim},
            "with_vectors": self.with_vectors,
            "created_at_ms": self.created_at_ms,
            "users": None if self.user_ids is None else list(self.user_ids),
        }


def dumps(line: Mapping[str, Any]) -> str:
    """One line of the file (without its newline): compact, keys sorted, non-ASCII kept as is."""
    return json.dumps(line, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def parse_header(text: str, where: str) -> Header:
    """Read the first line; refuse another format or a newer version with a message saying which."""
    try:
        line = json.loads(text)
    except ValueError:
        line = None
    if not isinstance(line, dict) or line.get("format") != FORMAT:
        raise SourceFormatError(
            f"{where} is not an OpenMemory export: its first line does not name the format {FORMAT!r} "
            f"(files from Mem0, Zep or Supermemory go through `opm import --from mem0|zep|supermemory`)"
        )
    version = line.get("version")
    if version != VERSION:
        raise SourceFormatError(
            f"{where} is {FORMAT} version {version!r}; this openmemory-py reads version {VERSION} "
            f"(upgrade openmemory-py to read newer files)"
        )
    embedder = line.get("embedder")
    try:
        assert isinstance(embedder, dict)
        users = line.get("users")
        return Header(
            embed_model=_str(embedder["model"]),
            embed_dim=_int(embedder["dim"]),
            with_vectors=bool(line["with_vectors"]),
            created_at_ms=_int(line.get("created_at_ms", 0)),
            user_ids=None if users is None else tuple(_opt_str(u) for u in users),
        )
    except (AssertionError, KeyError, TypeError, ValueError) as exc:
        raise SourceFormatError(f"{where}: the header line is incomplete or malformed ({exc!r})") from None


def parse_line(text: str, where: str) -> Line:
    """One record line as a dict with a known ``kind``."""
    try:
        line = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"{where} is not valid JSON ({exc.msg}, column {exc.colno}); truncated?") from None
    if not isinstance(line, dict) or (line.get("kind") not in KINDS and line.get("kind") != "end"):
        kind = line.get("kind") if isinstance(line, dict) else type(line).__name__
        raise SourceFormatError(f"{where} has an unknown record kind {kind!r}; expected one of {', '.join(KINDS)}")
    return line


# -- users --------------------------------------------------------------------------------------------------------


def user_to_line(user: UserRecord) -> Line:
    return {
        "kind": "user",
        "user_id": user.user_id,
        "summary": user.summary,
        "reflection_count": user.reflection_count,
        "created_at_ms": user.created_at_ms,
        "updated_at_ms": user.updated_at_ms,
    }


def line_to_user(line: Line) -> UserRecord:
    return UserRecord(
        user_id=_str(line["user_id"]),
        summary=_opt_str(line.get("summary")),
        reflection_count=_int(line.get("reflection_count", 0)),
        created_at_ms=_int(line.get("created_at_ms", 0)),
        updated_at_ms=_int(line.get("updated_at_ms", 0)),
    )


# -- memories -----------------------------------------------------------------------------------------------------


def memory_to_line(
    m: MemoryRecord,
    waypoints: list[Waypoint],
    vectors: tuple[list[SectorVector], Vector | None] | None = None,
) -> Line:
    """A memory line; ``vectors`` (sector vectors, mean) only in exports made with vectors."""
    line: Line = {
        "kind": "memory",
        "id": m.memory_id,
        "user_id": m.user_id,
        "project_id": m.project_id,
        "content": m.content,
        "primary_sector": m.primary_sector,
        "tags": list(m.tags),
        "meta": m.meta,
        "created_at_ms": m.created_at_ms,
        "updated_at_ms": m.updated_at_ms,
        "last_seen_at_ms": m.last_seen_at_ms,
        "salience": m.salience,
        "decay_lambda": m.decay_lambda,
        "version": m.version,
        "segment": m.segment,
        "simhash": m.simhash,
        "feedback_score": m.feedback_score,
        "waypoints": [
            {"dst_id": w.dst_id, "weight": w.weight, "created_at_ms": w.created_at_ms, "updated_at_ms": w.updated_at_ms}
            for w in sorted(waypoints, key=lambda w: (w.dst_id, w.weight))
        ],
    }
    if vectors is not None:
        sectors, mean = vectors
        line["vectors"] = {
            "mean": None if mean is None else _b64(mean),
            "sectors": [{"sector": v.sector, "dim": v.dim, "v": _b64(v.vector)} for v in sectors],
        }
    return line


def line_to_memory(line: Line) -> MemoryRecord:
    tags = line.get("tags", [])
    meta = line.get("meta", {})
    if not isinstance(tags, list) or not isinstance(meta, dict):
        raise TypeError("tags must be a list and meta an object")
    return MemoryRecord(
        memory_id=_str(line["id"]),
        user_id=_opt_str(line["user_id"]),
        content=_str(line["content"]),
        primary_sector=_str(line["primary_sector"]),
        tags=tuple(_str(t) for t in tags),
        meta=meta,
        created_at_ms=_int(line["created_at_ms"]),
        updated_at_ms=_int(line["updated_at_ms"]),
        last_seen_at_ms=_int(line["last_seen_at_ms"]),
        salience=_float(line["salience"]),
        decay_lambda=_float(line["decay_lambda"]),
        version=_int(line.get("version", 1)),
        segment=_int(line.get("segment", 0)),
        simhash=_opt_str(line.get("simhash")),
        feedback_score=_float(line.get("feedback_score", 0.0)),
        project_id=_opt_str(line.get("project_id")),
    )


def line_to_stored(line: Line, *, with_vectors: bool) -> StoredMemory:
    """The memory, its waypoints and (``with_vectors``) its vectors as the store takes them."""
    m = line_to_memory(line)
    waypoints = tuple(
        Waypoint(
            src_id=m.memory_id,
            dst_id=_str(w["dst_id"]),
            user_id=m.user_id,
            weight=_float(w["weight"]),
            created_at_ms=_int(w.get("created_at_ms", 0)),
            updated_at_ms=_int(w.get("updated_at_ms", 0)),
        )
        for w in line.get("waypoints", [])
    )
    if not with_vectors:
        return StoredMemory(m, waypoints=waypoints)
    vectors = line.get("vectors")
    if not isinstance(vectors, dict):
        raise TypeError("memory has no vectors although the header says the file has them")
    sectors = tuple(
        SectorVector(m.memory_id, _str(v["sector"]), _vector(v["v"], _int(v["dim"])), _int(v["dim"]))
        for v in vectors.get("sectors", [])
    )
    mean = vectors.get("mean")
    return StoredMemory(m, sectors, None if mean is None else _vector(mean, None), waypoints)


# -- temporal facts and their edges -------------------------------------------------------------------------------


def fact_to_line(f: Fact) -> Line:
    return {
        "kind": "fact", "id": f.fact_id, "user_id": f.user_id, "project_id": f.project_id, "subject": f.subject,
        "predicate": f.predicate, "object": f.object, "valid_from_ms": f.valid_from_ms, "valid_to_ms": f.valid_to_ms,
        "confidence": f.confidence, "last_updated_ms": f.last_updated_ms, "metadata": f.metadata,
    }  # fmt: skip


def line_to_fact(line: Line) -> Fact:
    return Fact(
        fact_id=_str(line["id"]), user_id=_opt_str(line["user_id"]), project_id=_opt_str(line.get("project_id")),
        subject=_str(line["subject"]), predicate=_str(line["predicate"]), object=_str(line["object"]),
        valid_from_ms=_int(line["valid_from_ms"]), valid_to_ms=_opt_int(line.get("valid_to_ms")),
        confidence=_float(line["confidence"]), last_updated_ms=_int(line.get("last_updated_ms", 0)),
        metadata=_opt_dict(line.get("metadata")),
    )  # fmt: skip


def edge_to_line(e: FactEdge) -> Line:
    return {
        "kind": "edge", "id": e.edge_id, "user_id": e.user_id, "source_id": e.source_id, "target_id": e.target_id,
        "relation_type": e.relation_type, "valid_from_ms": e.valid_from_ms, "valid_to_ms": e.valid_to_ms,
        "weight": e.weight, "metadata": e.metadata,
    }  # fmt: skip


def line_to_edge(line: Line) -> FactEdge:
    return FactEdge(
        edge_id=_str(line["id"]), user_id=_opt_str(line["user_id"]), source_id=_str(line["source_id"]),
        target_id=_str(line["target_id"]), relation_type=_str(line["relation_type"]),
        valid_from_ms=_int(line["valid_from_ms"]), valid_to_ms=_opt_int(line.get("valid_to_ms")),
        weight=_float(line["weight"]), metadata=_opt_dict(line.get("metadata")),
    )  # fmt: skip


def content_line(line: Line) -> str:
    """The part of a record line that ``--verify`` compares: everything but a memory's vectors."""
    return dumps({k: v for k, v in line.items() if k != "vectors"})


# -- typed field readers: a wrong type raises TypeError/ValueError, turned into a SourceFormatError by the reader --


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _opt_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _opt_dict(value: Any) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _b64(vector: Vector) -> str:
    return base64.b64encode(encode_vector(vector)).decode("ascii")


def _vector(text: Any, dim: int | None) -> Vector:
    raw = base64.b64decode(_str(text), validate=True)
    vector = decode_vector(raw)
    if len(raw) % 4 or (dim is not None and vector.shape[0] != dim):
        raise ValueError(f"vector of {len(raw)} bytes does not hold {dim} float32 values")
    return vector
