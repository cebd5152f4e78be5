"""The service every surface calls, and the parts it is made of.

service.py      Memory: validation, owner scoping, one transaction per user action
validate.py     checks on caller input (each failure an InvalidInput naming the field)
recall.py       query-time reinforcement, written in the background
maintenance.py  the cross-user jobs the server runs: decay, waypoint pruning, summaries, reflection
"""

from __future__ import annotations

from openmemory.memory.service import Memory, settings_for

__all__ = ["Memory", "settings_for"]
