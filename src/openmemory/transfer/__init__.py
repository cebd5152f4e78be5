"""Moving our own data: ``openmemory-jsonl`` export and import, ``--verify``, backups and restores.

A service-level package like ``memory``: surfaces call these functions with a ``Memory``; they reach the data
through the store's owner-scoped methods and its explicitly named ``maintenance_*`` whole-database methods.
"""

from __future__ import annotations

from openmemory.transfer.backup import RestoreReport, backup, restore
from openmemory.transfer.export import ExportReport, export_jsonl
from openmemory.transfer.jsonl import Failure, ImportReport, UserTally, import_jsonl
from openmemory.transfer.verify import UserCheck, VerifyReport, verify_jsonl

__all__ = [
    "ExportReport",
    "Failure",
    "ImportReport",
    "RestoreReport",
    "UserCheck",
    "UserTally",
    "VerifyReport",
    "backup",
    "export_jsonl",
    "import_jsonl",
    "restore",
    "verify_jsonl",
]
