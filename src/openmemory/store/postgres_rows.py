"""PostgreSQL row details: the system owner of waypoint rows, uuid ids, and query words."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from openmemory.store.postgres_vectors import PG_SYSTEM_OWNER

MAX_QUERY_WORDS = 64
_WORD = re.compile(r"[^\W_]+")


def waypoint_owner(stored: str | None) -> str | None:
    """The user_id of a waypoints row: the system/default user is stored as PG_SYSTEM_OWNER."""
    return None if stored is None or stored == PG_SYSTEM_OWNER else stored


def as_uuids(memory_ids: Sequence[str]) -> list[str]:
    """The ids that are UUIDs (memories.id is uuid as upstream's); any other id matches no memory."""
    out = []
    for memory_id in dict.fromkeys(memory_ids):
        try:
            uuid.UUID(memory_id)
        except (ValueError, AttributeError, TypeError):
            continue
        out.append(memory_id)
    return out


def query_words(text: str | Sequence[str]) -> list[str]:
    """Distinct lower-case words of a query (or of a list of terms), at most MAX_QUERY_WORDS."""
    source = text if isinstance(text, str) else " ".join(text)
    return list(dict.fromkeys(_WORD.findall(source.lower())))[:MAX_QUERY_WORDS]
