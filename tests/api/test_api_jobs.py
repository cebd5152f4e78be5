"""The background jobs run on their timers, log stats rows, and stop promptly."""

from __future__ import annotations

import time
from pathlib import Path

from openmemory.api.jobs import Jobs
from openmemory.config import Settings
from openmemory.memory import Memory


def test_jobs_run_on_their_intervals_and_stop(tmp_path: Path) -> None:
    memory = Memory(tmp_path / "m.sqlite", settings=Settings.load(embeddings="synthetic"))
    memory.add("a memory for the jobs", user_id="alice")
    jobs = Jobs(memory, {"decay": 0.001, "prune": 0.001, "summary": 0.001, "off": 0})
    jobs.start()
    deadline = time.monotonic() + 10
    while {row.type for row in memory.maintenance.log(0)} < {"decay", "prune", "summary"}:
        assert time.monotonic() < deadline, "jobs did not run"
        time.sleep(0.02)
    started = time.monotonic()
    jobs.stop()
    assert time.monotonic() - started < 5
    memory.close()
