"""Checks on caller input, shared by every surface: each failure is an InvalidInput naming the field."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from openmemory.errors import InvalidInput, UnknownSector
from openmemory.models import MAX_CONTENT_CHARS, MAX_K, MAX_TAG_CHARS, MAX_TAGS, SECTORS

MAX_USER_ID_CHARS = 256
MAX_META_BYTES = 64_000


def content(value: object, field: str = "content") -> str:
    """Non-empty text of at most 200,000 characters that encodes as UTF-8."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{field} is not valid UTF-8 (byte {exc.start})", field=field) from None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text, got {type(value).__name__}", field=field)
    if not value.strip():
        raise InvalidInput(f"{field} is empty", field=field)
    if len(value) > MAX_CONTENT_CHARS:
        raise InvalidInput(f"{field} has {len(value)} characters; the limit is {MAX_CONTENT_CHARS}", field=field)
    _utf8(value, field)
    return value


def _utf8(value: str, field: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"{field} is not valid Unicode text (position {exc.start})", field=field) from None


def user_id(value: object) -> str | None:
    """None (the system/default user) or a non-empty id of at most 256 characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"user_id must be text, got {type(value).__name__}", field="user_id")
    if not value.strip():
        raise InvalidInput("user_id is empty; omit it for the default user", field="user_id")
    if len(value) > MAX_USER_ID_CHARS:
        raise InvalidInput(f"user_id is longer than {MAX_USER_ID_CHARS} characters", field="user_id")
    _utf8(value, "user_id")
    return value


def project_id(value: object) -> str | None:
    """None (no project) or a non-empty project id of at most 256 characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"project_id must be text, got {type(value).__name__}", field="project_id")
    if not value.strip():
        raise InvalidInput("project_id is empty; omit it for no project", field="project_id")
    if len(value) > MAX_USER_ID_CHARS:
        raise InvalidInput(f"project_id is longer than {MAX_USER_ID_CHARS} characters", field="project_id")
    _utf8(value, "project_id")
    return value


def tags(value: Iterable[object] | None) -> tuple[str, ...]:
    """At most 64 distinct non-empty tags of at most 256 characters each (order kept)."""
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInput("tags must be a list of strings", field="tags")
    out: dict[str, None] = {}
    for tag in value:
        if not isinstance(tag, str) or not tag.strip():
            raise InvalidInput(f"each tag must be non-empty text, got {tag!r}", field="tags")
        if len(tag) > MAX_TAG_CHARS:
            raise InvalidInput(f"tag {tag[:20]!r}... is longer than {MAX_TAG_CHARS} characters", field="tags")
        _utf8(tag, "tags")
        out[tag] = None
    if len(out) > MAX_TAGS:
        raise InvalidInput(f"{len(out)} tags given; the limit is {MAX_TAGS}", field="tags")
    return tuple(out)


def metadata(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON-serialisable object of at most 64 kB."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput("metadata must be an object", field="metadata")
    try:
        encoded = json.dumps(dict(value), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"metadata is not JSON-serialisable: {exc}", field="metadata") from None
    if len(encoded.encode("utf-8", "surrogatepass")) > MAX_META_BYTES:
        raise InvalidInput(f"metadata is larger than {MAX_META_BYTES} bytes as JSON", field="metadata")
    _utf8(encoded, "metadata")
    return dict(json.loads(encoded))


def k(value: object) -> int:
    """An integer number of results in 1..200."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_K:
        raise InvalidInput(f"k must be an integer from 1 to {MAX_K}, got {value!r}", field="k")
    return value


def sector(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in SECTORS:
        raise UnknownSector(str(value))
    return value


def unit_interval(value: float | None, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 1:
        raise InvalidInput(f"{field} must be a number from 0 to 1, got {value!r}", field=field)
    return float(value)


def page(limit: object, offset: object) -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidInput(f"limit must be an integer from 1 to 1000, got {limit!r}", field="limit")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput(f"offset must be an integer >= 0, got {offset!r}", field="offset")
    return limit, offset


def memory_id(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        raise InvalidInput(f"memory id must be non-empty text of at most 128 characters, got {value!r}", field="id")
    return value


MAX_TIME_MS = 2**53


def time_ms(value: object, field: str) -> int:
    """Epoch milliseconds as an integer from 0 to 2**53."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIME_MS:
        raise InvalidInput(f"{field} must be epoch milliseconds from 0 to 2**53, got {value!r}", field=field)
    return value


def source_name(value: object, field: str) -> str:
    """A source name or a source id: non-empty text of at most 256 characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_USER_ID_CHARS:
        raise InvalidInput(f"{field} must be non-empty text of at most 256 characters, got {value!r}", field=field)
    _utf8(value, field)
    return value
