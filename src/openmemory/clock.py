"""The time every stored timestamp is in: epoch milliseconds from the wall clock.

``Memory`` takes a ``Clock`` (tests pass a fake one to move time) and hands it to the store it opens, so salience,
decay, last-seen stamps and stats rows all read the same clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]


def now_ms() -> int:
    """The current wall-clock time in epoch milliseconds."""
    return int(time.time() * 1000)
