"""Build the 10,000-memory SQLite database the REST benchmark queries (one tenant: the key `bench-key`).

python benchmarks/build_rest_db.py /tmp/wrk/m.sqlite [N]      # N memories, 10,000 by default
"""

from __future__ import annotations

import hashlib
import random
import sys
import time

from openmemory.config import Settings
from openmemory.memory import Memory

SUBJECTS = [
    "my sister",
    "the team",
    "our landlord",
    "I",
    "my doctor",
    "the kids",
    "grandma",
    "my manager",
    "Tom",
    "Priya",
]
VERBS = ["visited", "recommended", "hated", "fixed", "booked", "cooked", "forgot", "painted", "learned", "sold"]
OBJECTS = ["a trip to Lisbon", "the blue bicycle", "sourdough bread", "the kitchen sink", "a jazz concert",
           "python decorators", "the quarterly report", "a vintage camera", "tomato seedlings",
           "the dentist appointment", "a chess opening", "the wifi router"]  # fmt: skip
WHENS = ["last Monday", "in March", "yesterday", "two weeks ago", "on her birthday", "after work", "at 7am"]


def main(path: str, n: int = 10_000) -> None:
    rng = random.Random(7)
    tenant = hashlib.sha256(b"bench-key").hexdigest()[:16]  # the tenant of API key "bench-key"
    texts = [
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(WHENS)} "
        f"(note {i}, ref {rng.randint(0, 10**6)})"
        for i in range(n)
    ]
    with Memory(path, settings=Settings.load()) as mem:
        started = time.perf_counter()
        for i in range(0, n, 500):
            mem.add_many(texts[i : i + 500], user_id=tenant)
        print(f"added {mem.count(user_id=tenant)} memories in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
