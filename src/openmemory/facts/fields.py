"""Checks and conversions shared by the Facts service: upstream's limits, times in and out, project visibility."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from openmemory.memory import validate
from openmemory.models import Fact, is_visible_in_project
from openmemory.store.temporal_base import FactField

# upstream's limits (reference §6)
MAX_SUBJECT_CHARS = 1024
MAX_PREDICATE_CHARS = 1024
MAX_OBJECT_CHARS = 8192
MAX_PATTERN_CHARS = 1024
MAX_RELATION_CHARS = 1024
MAX_VOLATILE = 1000
SEARCH_LIMIT = 100
FIELDS: tuple[FactField, ...] = ("subject", "predicate", "object")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

When = int | float | str | datetime  # epoch ms (a float must be integral), ISO 8601, or a datetime
Clock = Callable[[], int]


def iso(ms: int | None) -> str | None:
    """Epoch milliseconds as upstream's ISO string (``2024-06-01T09:00:00.000Z``); None stays None."""
    if ms is None:
        return None
    moment = EPOCH + timedelta(milliseconds=ms)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def is_visible(fact: Fact, project_id: str | None) -> bool:
    """Whether a project sees the fact: its own, system_global and unscoped facts (no project: all)."""
    return is_visible_in_project(fact.project_id, project_id)


def project(value: object) -> str | None:
    return validate.project_id(value)


def when(value: When | None, field: str, default: int) -> int:
    return default if value is None else validate.timestamp_ms(value, field)


def metadata(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else validate.metadata(value)


def subject(value: object) -> str:
    return validate.text(value, "subject", MAX_SUBJECT_CHARS)


def predicate(value: object) -> str:
    return validate.text(value, "predicate", MAX_PREDICATE_CHARS)


def optional(check: Callable[[object], str], value: object) -> str | None:
    return None if value is None else check(value)
