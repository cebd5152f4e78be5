"""Upstream's JSON text columns, read leniently: ``tags`` (a JSON array) and ``meta`` (a JSON object).

Rows written by upstream or by hand may hold anything; a value of the wrong shape reads as empty rather than
failing the whole read. Both backends use these.
"""

from __future__ import annotations

import json
from typing import Any


def parse_tags(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    return tuple(str(t) for t in value) if isinstance(value, list) else ()


def parse_meta(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
