"""Worlds for the differential isolation suite: one database, one real server and a frozen clock per world.

A world is everything one tenant could possibly observe: a ``Memory`` on SQLite or PostgreSQL, a uvicorn server on
loopback over it (REST and ``/mcp``), the same ``Memory`` for Python API calls, and ``opm`` (typer's CliRunner) on
the same database. Each world has its own ``StepClock``, which the test sets before every operation, so that every
timestamp a tenant sees is the same in two worlds that ran the same operations of that tenant.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import types
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openmemory.config import Settings
from openmemory.memory import Memory
from tests.live import live_server
from tests.store.pg import drop_schema, unique_schema

TENANTS = ("alice", "bob", "carol")  # alice is the observed tenant; bob and carol crowd her world
KEYS = {tenant: f"key-{tenant}-isolation-0123456789" for tenant in TENANTS}
ADMIN_KEY = "admin-key-isolation-0123456789"
T0_MS = 1_780_000_000_000  # 2026-05-28: every world starts here; a step is STEP_MS later
STEP_MS = 60_000  # other tenants act in the second half of a step, so at most 300 between two of alice's
NEVER_ISSUED = "00000000-0000-4000-8000-000000000000"  # a well-formed id no world ever hands out (probe decoys)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class StepClock:
    """The clock of one world: frozen at a time the test sets, plus one millisecond per reading within a step
    (so that two memories written by one call still have distinct, reproducible times).

    It also hands out the ids of new memories, facts and edges (see ``step_ids``): derived from the step's time and
    their order within the step, so a tenant's step creates the same ids in every world, and ties that the product
    breaks by id (facts created at one instant, say) fall the same way in both worlds."""

    def __init__(self) -> None:
        self._base_ms = T0_MS
        self._ticks = 0
        self._ids = 0

    def set(self, base_ms: int) -> None:
        self._base_ms, self._ticks, self._ids = base_ms, 0, 0

    def __call__(self) -> int:
        self._ticks += 1
        return self._base_ms + self._ticks

    def new_id(self) -> uuid.UUID:
        self._ids += 1
        digest = hashlib.sha256(f"{self._base_ms}:{self._ids}".encode()).digest()
        return uuid.UUID(bytes=digest[:16], version=4)


_ACTIVE: list[StepClock] = []
# The product modules that mint ids with uuid.uuid4() (a random source, so a process boundary to stand in for).
ID_MINTERS = ("openmemory.memory.service", "openmemory.facts.service", "openmemory.facts.edges")


def _uuid4() -> uuid.UUID:
    return _ACTIVE[-1].new_id() if _ACTIVE else uuid.uuid4()


@contextmanager
def step_ids(clock: StepClock) -> Iterator[None]:
    """While the block runs, new memory, fact and edge ids come from ``clock`` (in-process and in the server
    thread alike, which share these modules)."""
    stand_in = types.ModuleType("uuid")
    stand_in.__dict__.update(uuid.__dict__)
    stand_in.uuid4 = _uuid4  # type: ignore[attr-defined]
    modules = [importlib.import_module(name) for name in ID_MINTERS]
    saved = [m.uuid for m in modules]  # type: ignore[attr-defined]
    _ACTIVE.append(clock)
    for m in modules:
        m.uuid = stand_in  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _ACTIVE.pop()
        for m, original in zip(modules, saved, strict=True):
            m.uuid = original  # type: ignore[attr-defined]


@dataclass
class Backend:
    """Where a world's database lives: a SQLite file, or a fresh schema on a PostgreSQL server."""

    name: str
    pg_url: str | None = None

    def settings(self, tmp: Path) -> tuple[Settings, dict[str, str]]:
        """Settings for the server and Memory, and the OM_* environment that points ``opm`` at the same data."""
        pairs = ",".join(f"{KEYS[t]}:{t}" for t in TENANTS)
        common: dict[str, Any] = {
            "embeddings": "synthetic", "api_keys": pairs, "admin_key": ADMIN_KEY, "recall_flush_ms": 0,
            "decay_interval_minutes": 0, "prune_interval_minutes": 0, "user_summary_interval": 0,
            "auto_reflect": False, "word_expansion": True,  # the default, said here: it must stay in the draw
        }  # fmt: skip
        if self.pg_url is None:
            db = tmp / "world.sqlite"
            env = {"OM_DB_PATH": str(db), "OM_EMBEDDINGS": "synthetic", "OM_WORD_EXPANSION": "true"}
            return Settings.load(db_path=db, **common), env
        schema = unique_schema("omiso")
        env = {
            "OM_METADATA_BACKEND": "postgres", "OM_PG_URL": self.pg_url, "OM_PG_SCHEMA": schema,
            "OM_EMBEDDINGS": "synthetic", "OM_WORD_EXPANSION": "true",
        }  # fmt: skip
        return Settings.load(metadata_backend="postgres", pg_url=self.pg_url, pg_schema=schema, **common), env


@dataclass
class World:
    """One database and the doors into it; ``ids`` are the ids each tenant was shown, in order of first sight."""

    memory: Memory
    url: str
    env: dict[str, str]
    clock: StepClock
    ids: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in TENANTS})
    texts: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in TENANTS})

    def saw(self, tenant: str, text: str) -> None:
        """Remember the ids in what ``tenant`` was shown (targets for its own and for other tenants' requests)."""
        for found in UUID.findall(text):
            if found not in self.ids[tenant] and found != NEVER_ISSUED:
                self.ids[tenant].append(found)


@contextmanager
def open_world(backend: Backend, tmp: Path) -> Iterator[World]:
    """A fresh world: a new database (file or schema), its Memory on a StepClock, and a live server over it."""
    settings, env = backend.settings(tmp)
    clock = StepClock()
    with ExitStack() as stack:
        if backend.pg_url is not None:
            stack.callback(drop_schema, backend.pg_url, settings.pg_schema)
        memory = Memory(settings=settings, clock=clock)
        stack.callback(memory.close)
        url = stack.enter_context(live_server(settings, memory))
        yield World(memory=memory, url=url, env=env, clock=clock)
