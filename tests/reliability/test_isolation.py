"""Differential isolation: nothing alice observes depends on what other tenants hold or do (issue #14).

Two worlds per example, each a fresh database with a real server over it. In the solo world only alice's random
operations run; in the crowded world the same operations run interleaved with bob's and carol's (and the admin's
for them): their own writes and reads, alice's exact texts written as their own, and probes at alice's data (her
ids guessed, ``user_id=alice`` in body, query, path and filters). Every door is in the draw: each REST route, each
MCP tool over ``/mcp`` with the official client, ``Memory`` and ``Memory.facts``, and ``opm``. With the clock frozen
per step, alice's observations (bodies, counts, scores, errors, summaries, dashboard figures, dedup decisions,
waypoint paths) must be identical in both worlds, and every probe must look exactly like a probe at an id and a user
that never existed.

Examples per run: ``OM_TEST_ISOLATION_EXAMPLES`` (default 6 on SQLite, 2 per PostgreSQL server); steps per example:
``OM_TEST_ISOLATION_STEPS`` (default 40); ``OM_TEST_ISOLATION_RANDOM=1`` draws new sequences instead of CI's fixed
ones. The long run is documented in docs/reliability.md.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.reliability import doors
from tests.reliability.admin import admin_mismatches, admin_wide_mismatches
from tests.reliability.doors import WORDS, Params
from tests.reliability.replay import OBSERVED, WRITES, Outcome, Step, replay
from tests.reliability.worlds import Backend, open_world
from tests.store.pg import PG_SERVERS

TALLY: Counter[str] = Counter()  # what the last run covered, printed with -s (the long run's figures)
EXAMPLES = int(os.environ.get("OM_TEST_ISOLATION_EXAMPLES", "0"))
MAX_STEPS = int(os.environ.get("OM_TEST_ISOLATION_STEPS", "40"))
# Shrinking replays whole worlds and can take many minutes; the failure message already names the first step that
# differs, so it is opt-in (OM_TEST_ISOLATION_SHRINK=1) for a minimal sequence.
# CI replays the same sequences every run; the long run draws new ones (and prints a blob to replay a failure).
FRESH_DRAW = os.environ.get("OM_TEST_ISOLATION_RANDOM") == "1"
PHASES = tuple(Phase) if os.environ.get("OM_TEST_ISOLATION_SHRINK") == "1" else (Phase.explicit, Phase.generate)
OPS = sorted(doors.DOORS)
PROBES = sorted(name for name in OPS if name not in WRITES)
REST_AND_MCP = sorted(name for name in OPS if name.startswith(("rest_", "mcp_")))

_params = st.builds(
    Params,
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(tuple),
    copy=st.none() | st.integers(0, 6),
    ref=st.integers(0, 30),
    user=st.sampled_from(["omit", "self"]),
    where=st.sampled_from(["body", "query", "filters"]),
    offset=st.sampled_from([0, 0, 1, 2, 5, 10_000]),  # 10_000: past the end
    limit=st.sampled_from([1, 2, 3, 100]),
    k=st.sampled_from([1, 3, 10]),
    subject=st.integers(0, 2),
    predicate=st.integers(0, 1),
    time=st.integers(0, 2),
    flag=st.booleans(),
)
FACT_WRITES = ("rest_fact_add", "api_fact_add", "cli_fact_add")
# Writes are drawn as often as all other operations together, so that every tenant holds data worth leaking.
_names = st.one_of(st.sampled_from(sorted(WRITES)), st.sampled_from(FACT_WRITES), st.sampled_from(OPS))
_alice = st.builds(Step, actor=st.just(OBSERVED), name=st.one_of(_names, st.just("mcp_config")), params=_params)
_own = st.builds(Step, actor=st.sampled_from(["bob", "carol"]), name=_names, params=_params)
_copy = st.builds(
    Step, actor=st.sampled_from(["bob", "carol"]), name=st.sampled_from(sorted(WRITES)),
    params=_params.map(lambda p: replace(p, user="omit", copy=p.copy or 0)), aim=st.just("copy"),
)  # fmt: skip
_probe = st.builds(
    Step, actor=st.sampled_from(["bob", "carol"]), name=st.sampled_from(PROBES),
    params=_params.map(lambda p: replace(p, copy=None, user="target" if p.flag else p.user)),
    aim=st.just("probe"),
)  # fmt: skip
_admin = st.builds(
    Step, actor=st.just("admin"), name=st.sampled_from(REST_AND_MCP),
    params=_params.map(lambda p: replace(p, user="self")), owner=st.sampled_from(["bob", "carol"]),
)  # fmt: skip
steps = st.lists(
    st.one_of(_alice, _alice, _alice, _own, _copy, _probe, _probe, _admin), min_size=MAX_STEPS // 2, max_size=MAX_STEPS
)


def _every_door() -> list[Step]:
    """A fixed sequence that opens every door once for alice, probes it once from bob and opens it once for carol:
    each run covers all of them, whatever the random draw. Reads come before writes, and deleting writes last."""
    p = Params()
    seed = [
        Step(OBSERVED, "rest_add", replace(p, words=("jazz", "lisbon"))),
        Step("bob", "rest_add", replace(p, copy=0), aim="copy"),
        Step(OBSERVED, "api_add", replace(p, words=("jazz", "piano"))),
        Step("carol", "api_add", replace(p, words=("jazz", "piano"))),
        Step(OBSERVED, "rest_fact_add", p),
        Step(OBSERVED, "api_fact_add", replace(p, words=("boat",), time=1)),
        Step("bob", "rest_fact_add", p),
        Step("carol", "mcp_store", replace(p, copy=1, flag=True), aim="copy"),
    ]
    deleting = ("delete", "invalidate", "delete_user")
    order = sorted(OPS, key=lambda name: (name in WRITES, any(d in name for d in deleting), name))
    tour: list[Step] = []
    for i, name in enumerate([*order[:-3], "mcp_config", *order[-3:]]):
        tour.append(Step(OBSERVED, name, replace(p, ref=i, user="self" if i % 2 else "omit", flag=i % 3 == 0)))
        if name in PROBES:
            tour.append(Step("bob", name, replace(p, ref=i, user="target" if i % 2 else "omit"), aim="probe"))
        if name in doors.DOORS:  # and carol through the same door on her own data: never shown alice's ids
            tour.append(Step("carol", name, replace(p, ref=i, user="omit" if i % 2 else "self")))
    return seed + tour


EVERY_DOOR = _every_door()
BACKENDS = [pytest.param(None, id="sqlite"), *PG_SERVERS]


def _examples(pg_url: str | None) -> int:
    return EXAMPLES or (6 if pg_url is None else 2)


def _run(backend: Backend, tmp: Path, drawn: list[Step]) -> tuple[Outcome, Outcome, list[str]]:
    """Alice's observations alone and in company, and what the admin key got wrong in company."""
    (tmp / "solo").mkdir()
    (tmp / "crowded").mkdir()
    with open_world(backend, tmp / "solo") as solo, open_world(backend, tmp / "crowded") as crowded:
        alone = anyio.run(lambda: replay(solo, drawn, solo=True))
        together = anyio.run(lambda: replay(crowded, drawn, solo=False))
        admin = anyio.run(lambda: admin_mismatches(crowded)) + admin_wide_mismatches(crowded)
    TALLY.update(steps=together.steps, probes=together.probes, examples=1)
    return alone, together, admin


def _first_difference(alone: Outcome, together: Outcome) -> str:
    for i, (mine, theirs) in enumerate(zip(alone.observed, together.observed, strict=True)):
        if mine != theirs:
            return f"alice's step {i} ({mine[0]}) differs:\n  solo:    {mine[1]}\n  crowded: {theirs[1]}"
    return ""


@pytest.mark.parametrize("pg_url", BACKENDS)
def test_no_tenant_observation_depends_on_other_tenants(
    pg_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    backend = Backend("sqlite" if pg_url is None else f"postgres {pg_url.rpartition('@')[2]}", pg_url)
    TALLY.clear()

    @settings(
        max_examples=_examples(pg_url), deadline=None, derandomize=not FRESH_DRAW, database=None, phases=PHASES,
        print_blob=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )  # fmt: skip
    @example(drawn=EVERY_DOOR)
    @given(drawn=steps)
    def differential(drawn: list[Step]) -> None:
        alone, together, admin = _run(backend, tmp_path_factory.mktemp("iso"), drawn)
        assert alone.observed == together.observed, _first_difference(alone, together)
        assert not together.probe_failures, "\n".join(together.probe_failures)
        assert not together.foreign_ids, "\n".join(together.foreign_ids)
        assert not admin, "\n".join(admin)

    differential()
    print(f"isolation[{backend.name}]: {TALLY['examples']} examples, {TALLY['steps']} steps, {TALLY['probes']} probes")
