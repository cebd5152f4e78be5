"""Long run of the PostgreSQL restart drill (issue 14): restart the database many times while clients write.

    nice -n 10 .venv/bin/python benchmarks/pg_restarts.py --fast 20 --immediate 20 [--writers 4] [--json out.json]

A private PostgreSQL 18 + pgvector server (tests/reliability/pg_server.py, via ../shared/scripts/pgvec-server.sh;
never the shared 5432/5433) backs a live OpenMemory server (real uvicorn on loopback). ``--writers`` threads add
memories over REST the whole time. Each round holds the writes inside the database, stops it with
``pg_ctl -m fast`` or ``-m immediate`` (in shuffled order), keeps it down 0.2-3 s, starts it and waits for the
next acknowledged write. At the end the database is compared with what the clients were told.

Prints requests, 503s, other errors (must be 0), acknowledged writes, rows lost (must be 0), phantom rows (stored
but never sent: must be 0), half-written memories (must be 0) and how long the pool took to serve again after the
server was back. Exits 1 when a must-be-0 figure is not.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests.reliability helpers

from openmemory.config import Settings
from tests.live import live_server
from tests.reliability.pg_drill import Tally, Writers, audit, restart_round
from tests.reliability.pg_server import PrivatePostgres


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", type=int, default=20, help="restarts with pg_ctl -m fast")
    parser.add_argument("--immediate", type=int, default=20, help="restarts with pg_ctl -m immediate (a crash)")
    parser.add_argument("--writers", type=int, default=4, help="client threads adding memories")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    # every 503 and every failed reconnection is logged; the figures below say the same in one place
    logging.getLogger("psycopg").setLevel(logging.CRITICAL)
    logging.getLogger("openmemory.api").setLevel(logging.CRITICAL)
    logging.getLogger("openmemory.memory").setLevel(logging.CRITICAL)
    rng = random.Random(args.seed)
    modes = ["fast"] * args.fast + ["immediate"] * args.immediate
    rng.shuffle(modes)

    pg = PrivatePostgres.started()
    schema = f"pgrestarts_{uuid.uuid4().hex[:8]}"
    settings = Settings.load(metadata_backend="postgres", pg_url=pg.url, pg_schema=schema, embeddings="synthetic")
    tally = Tally()
    recovery_s: list[float] = []
    started = time.monotonic()
    try:
        with live_server(settings) as base_url, Writers(base_url, args.writers, tally) as writers:
            writers.wait_for_acks(20)
            for n, mode in enumerate(modes, 1):
                recovery_s.append(
                    restart_round(pg, mode, f'"{schema}".openmemory_memories', writers, rng.uniform(0.2, 3.0))
                )
                print(
                    f"[{n}/{len(modes)}] {mode:9} requests {tally.requests}  503s {tally.unavailable}  "
                    f"other errors {len(tally.other_errors)}  acknowledged {tally.acks}  "
                    f"serving again {recovery_s[-1]:.2f} s after start",
                    flush=True,
                )
        result = audit(pg.url, schema, tally)
    finally:
        pg.remove()

    figures = {
        "restarts_fast": args.fast,
        "restarts_immediate": args.immediate,
        "writers": args.writers,
        "requests": tally.requests,
        "http_503": tally.unavailable,
        "other_errors": len(tally.other_errors),
        "acknowledged_writes": tally.acks,
        "rows_stored": result.stored,
        "rows_lost": len(result.lost),
        "phantom_rows": len(result.phantom),
        "half_written": result.half_written,
        "recovery_s_median": round(statistics.median(recovery_s), 2) if recovery_s else None,
        "recovery_s_max": round(max(recovery_s), 2) if recovery_s else None,
        "slowest_answer_s": round(tally.slowest_s, 2),
        "wall_s": round(time.monotonic() - started, 1),
    }
    print()
    for key, value in figures.items():
        print(f"{key:22} {value}")
    for error in tally.other_errors[:10]:
        print(f"other error: {error}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    bad = figures["other_errors"] or figures["rows_lost"] or figures["phantom_rows"] or figures["half_written"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
