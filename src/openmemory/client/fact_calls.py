"""What the clients' ``facts`` methods send to ``/api/temporal/*`` and how they read the answers.

Times go out as epoch milliseconds or the caller's ISO strings, and the server's ISO strings come back as epoch
milliseconds, so the results are the same ``Fact`` values ``Memory.facts`` returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from openmemory.client.calls import Call
from openmemory.memory import validate
from openmemory.models import (
    Fact,
    FactChange,
    FactComparison,
    FactStats,
    TimelineEntry,
    VolatileFact,
)

When = int | float | str | datetime
BASE = "/api/temporal"


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _when(value: When | None) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _ms(text: str | None) -> int | None:
    return None if text is None else validate.timestamp_ms(text, "date")


def fact_of(item: Mapping[str, Any]) -> Fact:
    return Fact(
        fact_id=item["id"], user_id=item.get("user_id"), project_id=item.get("project_id"), subject=item["subject"],
        predicate=item["predicate"], object=item["object"], valid_from_ms=_ms(item["valid_from"]) or 0,
        valid_to_ms=_ms(item.get("valid_to")), confidence=float(item["confidence"]),
        last_updated_ms=_ms(item.get("last_updated")) or 0, metadata=item.get("metadata"),
    )  # fmt: skip


def _facts(body: Mapping[str, Any]) -> list[Fact]:
    return [fact_of(f) for f in body["facts"]]


def _entry(item: Mapping[str, Any]) -> TimelineEntry:
    return TimelineEntry(
        _ms(item["timestamp"]) or 0, item["subject"], item["predicate"], item["object"], float(item["confidence"]),
        item["change_type"], item.get("fact_id", ""),
    )  # fmt: skip


def _comparison(body: Mapping[str, Any]) -> FactComparison:
    return FactComparison(
        added=tuple(fact_of(f) for f in body["added"]), removed=tuple(fact_of(f) for f in body["removed"]),
        changed=tuple(FactChange(fact_of(c["before"]), fact_of(c["after"])) for c in body["changed"]),
        unchanged=tuple(fact_of(f) for f in body["unchanged"]),
    )  # fmt: skip


def _id(fact_id: str) -> str:
    return quote(fact_id, safe="")


def add(
    subject: str, predicate: str, obj: str, *, user_id: str | None, project_id: str | None, valid_from: When | None,
    confidence: float | None, metadata: Mapping[str, Any] | None,
) -> Call[str]:  # fmt: skip
    body = _given(
        subject=subject, predicate=predicate, object=obj, user_id=user_id, project_id=project_id,
        valid_from=_when(valid_from), confidence=confidence, metadata=metadata,
    )  # fmt: skip
    return Call("POST", f"{BASE}/fact", json=body, user_id=user_id, parse=lambda r: str(r["id"]))


def get(fact_id: str, *, user_id: str | None, project_id: str | None) -> Call[Fact]:
    params = _given(user_id=user_id, project_id=project_id)
    return Call(
        "GET", f"{BASE}/fact/{_id(fact_id)}", params=params, user_id=user_id, memory_id=fact_id,
        parse=lambda r: fact_of(r["fact"]),
    )  # fmt: skip


def at(
    *, user_id: str | None, project_id: str | None, subject: str | None, predicate: str | None, obj: str | None,
    at: When | None, min_confidence: float,
) -> Call[list[Fact]]:  # fmt: skip
    params = _given(
        user_id=user_id, project_id=project_id, subject=subject, predicate=predicate, object=obj, at=_when(at),
        min_confidence=min_confidence,
    )  # fmt: skip
    return Call("GET", f"{BASE}/fact", params=params, user_id=user_id, parse=_facts)


def current(subject: str, predicate: str, *, user_id: str | None, project_id: str | None) -> Call[Fact]:
    params = _given(subject=subject, predicate=predicate, user_id=user_id, project_id=project_id)
    return Call("GET", f"{BASE}/fact/current", params=params, user_id=user_id, parse=lambda r: fact_of(r["fact"]))


def update(
    fact_id: str, *, user_id: str | None, confidence: float | None, metadata: Mapping[str, Any] | None
) -> Call[str]:
    body = _given(user_id=user_id, confidence=confidence, metadata=metadata)
    return Call(
        "PATCH", f"{BASE}/fact/{_id(fact_id)}", json=body, user_id=user_id, memory_id=fact_id,
        parse=lambda r: str(r["id"]),
    )  # fmt: skip


def invalidate(fact_id: str, *, user_id: str | None, valid_to: When | None) -> Call[str]:
    body = _given(user_id=user_id, valid_to=_when(valid_to))
    return Call(
        "DELETE", f"{BASE}/fact/{_id(fact_id)}", json=body, user_id=user_id, memory_id=fact_id,
        parse=lambda r: str(r["id"]),
    )  # fmt: skip


def timeline(
    subject: str, predicate: str | None, *, user_id: str | None, project_id: str | None
) -> Call[list[TimelineEntry]]:
    params = _given(subject=subject, predicate=predicate, user_id=user_id, project_id=project_id)
    return Call(
        "GET", f"{BASE}/timeline", params=params, user_id=user_id,
        parse=lambda r: [_entry(e) for e in r["timeline"]],
    )  # fmt: skip


def subject(
    name: str, *, user_id: str | None, project_id: str | None, at: When | None, include_historical: bool
) -> Call[list[Fact]]:
    params = _given(user_id=user_id, project_id=project_id, at=_when(at))
    params["include_historical"] = "true" if include_historical else "false"
    return Call("GET", f"{BASE}/subject/{_id(name)}", params=params, user_id=user_id, parse=_facts)


def search(
    pattern: str, *, field: str, user_id: str | None, project_id: str | None, at: When | None
) -> Call[list[Fact]]:
    params = _given(pattern=pattern, field=field, user_id=user_id, project_id=project_id, at=_when(at))
    return Call("GET", f"{BASE}/search", params=params, user_id=user_id, parse=_facts)


def compare(
    name: str, time1: When, time2: When, *, user_id: str | None, project_id: str | None
) -> Call[FactComparison]:
    params = _given(subject=name, time1=_when(time1), time2=_when(time2), user_id=user_id, project_id=project_id)
    return Call("GET", f"{BASE}/compare", params=params, user_id=user_id, parse=_comparison)


def stats(*, user_id: str | None, project_id: str | None) -> Call[FactStats]:
    return Call(
        "GET", f"{BASE}/stats", params=_given(user_id=user_id, project_id=project_id), user_id=user_id,
        parse=lambda r: FactStats(active=int(r["active_facts"]), total=int(r["total_facts"])),
    )  # fmt: skip


def volatile(
    *, user_id: str | None, project_id: str | None, subject: str | None, limit: int
) -> Call[list[VolatileFact]]:
    params = _given(user_id=user_id, project_id=project_id, subject=subject, limit=limit)
    return Call(
        "GET", f"{BASE}/volatile", params=params, user_id=user_id,
        parse=lambda r: [
            VolatileFact(v["subject"], v["predicate"], int(v["change_count"]), float(v["avg_confidence"]))
            for v in r["volatile_facts"]
        ],
    )  # fmt: skip


def decay(*, user_id: str | None, rate: float) -> Call[int]:
    body = _given(user_id=user_id, decay_rate=rate)
    return Call("POST", f"{BASE}/decay", json=body, user_id=user_id, parse=lambda r: int(r["facts_updated"]))
