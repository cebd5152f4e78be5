"""Reading another service's JSON: each field by name, so a changed shape fails naming the field, not a traceback."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openmemory.errors import SourceFormatError

SECONDS_BELOW = 10**12  # a numeric time under this is in seconds (10**12 ms is 2001-09-09)
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def obj(value: object, where: str) -> Mapping[str, Any]:
    """``value`` as a JSON object; SourceFormatError names ``where`` otherwise."""
    if not isinstance(value, Mapping):
        raise SourceFormatError(f"{where}: expected a JSON object, got {_kind(value)}")
    return value


def items(page: object, keys: Sequence[str], where: str) -> list[Mapping[str, Any]]:
    """The list of objects a page carries: the page itself when it is a list, else the first of ``keys`` present."""
    found: object = page
    if isinstance(page, Mapping):
        present = [k for k in keys if k in page]
        if not present:
            raise SourceFormatError(
                f"{where}: expected a list under {' or '.join(repr(k) for k in keys)}; the answer has "
                f"{', '.join(repr(k) for k in list(page)[:8]) or 'no fields'}"
            )
        where, found = f"{where}.{present[0]}", page[present[0]]
    if not isinstance(found, list):
        raise SourceFormatError(f"{where}: expected a list, got {_kind(found)}")
    return [obj(item, f"{where}[{i}]") for i, item in enumerate(found)]


def text(item: Mapping[str, Any], keys: Sequence[str], where: str, *, required: bool = True) -> str | None:
    """The first of ``keys`` that holds a string (numbers are written as text), or None when optional."""
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and value != "":
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    if required:
        raise SourceFormatError(f"{where}: missing field {' or '.join(repr(k) for k in keys)} (text)")
    return None


def strings(value: object, field: str, where: str) -> tuple[str, ...]:
    """A list of strings (tags, categories); None is empty."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SourceFormatError(f"{where}: field {field!r} should be a list of strings, got {_kind(value)}")
    return tuple(v for v in value if v.strip())


def mapping(value: object, field: str, where: str) -> dict[str, Any]:
    """An object field (metadata); None is empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SourceFormatError(f"{where}: field {field!r} should be an object, got {_kind(value)}")
    return dict(value)


def time_ms(value: object, field: str, where: str) -> int | None:
    """Epoch milliseconds from an ISO 8601 string or a number of seconds or milliseconds; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value * 1000) if abs(value) < SECONDS_BELOW else int(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(_LONG_FRACTION.sub(r"\1", value.strip()))
        except ValueError:
            raise SourceFormatError(f"{where}: field {field!r} is not an ISO 8601 time: {value!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000)
    raise SourceFormatError(f"{where}: field {field!r} should be a time, got {_kind(value)}")


def given(**fields: object) -> dict[str, Any]:
    """The fields that have a value: what a source said about a memory beyond its text, kept in metadata."""
    return {k: v for k, v in fields.items() if v is not None and v != "" and v != []}


def read_json(path: Path) -> Any:
    """A whole export file as JSON; SourceFormatError names the file and the position of a syntax error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"{path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "a boolean"}.get(type(value), type(value).__name__)
