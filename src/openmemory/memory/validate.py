"""Checks on caller input, shared by every surface: each failure is an InvalidInput naming the field."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from openmemory.errors import InvalidInput, UnknownSector
from openmemory.models import MAX_CONTENT_CHARS, MAX_K, MAX_TAG_CHARS, MAX_TAGS, SECTORS

MAX_USER_ID_CHARS = 256
MAX_META_BYTES = 64_000
MIN_DATE_MS = -62_135_596_800_000  # 0001-01-01T00:00:00Z
MAX_DATE_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


def content(value: object, field: str = "content") -> str:
    """Non-empty text of at most 200,000 characters that encodes as UTF-8."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{field} is not valid UTF-8 (byte {exc.start})", field=field) from None
    return text(value, field, MAX_CONTENT_CHARS)


def _utf8(value: str, field: str) -> None:
    """Text every backend can store: valid UTF-8 and no NUL character.

    PostgreSQL cannot hold NUL in text or jsonb while SQLite can, so the same call would succeed on one backend
    and fail with a store error on the other; NUL is refused everywhere instead (it is never meaningful text).
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"{field} is not valid Unicode text (position {exc.start})", field=field) from None
    nul = value.find("\x00")
    if nul >= 0:
        raise InvalidInput(f"{field} contains a NUL character (position {nul}); remove it", field=field)


def user_id(value: object) -> str | None:
    """None (the system/default user) or a non-empty id of at most 256 characters."""
    return _optional_id(value, "user_id", "omit it for the default user")


def project_id(value: object) -> str | None:
    """None (no project) or a non-empty project id of at most 256 characters."""
    return _optional_id(value, "project_id", "omit it for no project")


def _optional_id(value: object, field: str, when_empty: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text, got {type(value).__name__}", field=field)
    if not value.strip():
        raise InvalidInput(f"{field} is empty; {when_empty}", field=field)
    if len(value) > MAX_USER_ID_CHARS:
        raise InvalidInput(f"{field} is longer than {MAX_USER_ID_CHARS} characters", field=field)
    _utf8(value, field)
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
    except RecursionError:
        raise InvalidInput("metadata is nested too deeply", field="metadata") from None
    if len(encoded.encode("utf-8", "surrogatepass")) > MAX_META_BYTES:
        raise InvalidInput(f"metadata is larger than {MAX_META_BYTES} bytes as JSON", field="metadata")
    _utf8(encoded, "metadata")
    decoded = dict(json.loads(encoded))
    _no_nul_inside(decoded)
    return decoded


def _no_nul_inside(value: object) -> None:
    """Refuse a NUL in any key or string of decoded JSON (json.dumps escapes it, so ``_utf8`` cannot see it)."""
    if isinstance(value, str):
        _utf8(value, "metadata")
    elif isinstance(value, dict):
        for key, item in value.items():
            _utf8(key, "metadata")
            _no_nul_inside(item)
    elif isinstance(value, list):
        for item in value:
            _no_nul_inside(item)


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
    _utf8(value, "id")
    return value


MAX_TIME_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: dates past it cannot be shown


def time_ms(value: object, field: str) -> int:
    """Epoch milliseconds as an integer from 0 (1970) to the end of year 9999."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIME_MS:
        raise InvalidInput(f"{field} must be epoch milliseconds from 0 to {MAX_TIME_MS}, got {value!r}", field=field)
    return value


def source_name(value: object, field: str) -> str:
    """A source name or a source id: non-empty text of at most 256 characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_USER_ID_CHARS:
        raise InvalidInput(f"{field} must be non-empty text of at most 256 characters, got {value!r}", field=field)
    _utf8(value, field)
    return value


def text(value: object, field: str, max_chars: int) -> str:
    """Non-blank text of at most ``max_chars`` characters that encodes as UTF-8 (fact subjects, objects ...)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text, got {type(value).__name__}", field=field)
    if not value.strip():
        raise InvalidInput(f"{field} is empty", field=field)
    if len(value) > max_chars:
        raise InvalidInput(f"{field} has {len(value)} characters; the limit is {max_chars}", field=field)
    _utf8(value, field)
    return value


def timestamp_ms(value: object, field: str) -> int:
    """Epoch milliseconds from epoch milliseconds (int, or digits in a string), an ISO 8601 string (no zone =
    UTC) or a datetime; years 1 to 9999."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return _checked_ms(round(moment.timestamp() * 1000), value, field)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or value != int(value):
            raise _bad_date(value, field)
        return _checked_ms(int(value), value, field)
    if isinstance(value, str) and 0 < len(value) <= 64:
        stripped = value.strip()
        if stripped.lstrip("-").isdigit():
            return _checked_ms(int(stripped), value, field)
        try:
            return timestamp_ms(datetime.fromisoformat(stripped), field)
        except ValueError:
            pass
    raise _bad_date(value, field)


def _checked_ms(ms: int, value: object, field: str) -> int:
    if not MIN_DATE_MS <= ms <= MAX_DATE_MS:
        raise _bad_date(value, field)
    return ms


def _bad_date(value: object, field: str) -> InvalidInput:
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    return InvalidInput(
        f"invalid {field} date {shown}: give an ISO 8601 date (2024-06-01T09:00:00Z) or epoch milliseconds",
        field=field,
    )
