"""``opm export|backup|restore`` and ``opm import --from jsonl``: our own data out and back in, between machines
and backends.

opm export --with-vectors --out all.jsonl            # every user, one consistent snapshot
opm import --from jsonl all.jsonl --db postgresql://user@host/db --verify
opm backup nightly.bak && opm restore nightly.bak --db new.sqlite
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from openmemory import transfer
from openmemory.cli.console import handles_errors, load_settings
from openmemory.cli.progress import progress_bar
from openmemory.memory import Memory
from openmemory.transfer.jsonl import ImportReport
from openmemory.transfer.verify import VerifyReport

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLite file or postgresql:// URL (default: OM_DB_PATH / OM_PG_* settings).", show_default=False
    ),
]
UsersOption = Annotated[
    list[str] | None, typer.Option("--user", "-u", help="Only this user (repeatable; default: every user).")
]


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("backup")(backup)
    app.command("restore")(restore)


def open_memory(db: str | Path | None) -> Memory:
    """The database named by --db (a SQLite file or a postgresql:// URL), else the configured one."""
    return Memory(db, settings=load_settings())


@handles_errors
def export(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file (default: standard output).")
    ] = None,
    users: UsersOption = None,
    with_vectors: Annotated[
        bool, typer.Option("--with-vectors", help="Include vectors (no re-embedding on import with the same embedder).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Export users' memories, waypoints, summaries and temporal facts as JSONL (openmemory-jsonl 1).

    The export is one consistent snapshot even while the database is being written to.
    Read it back with `opm import --from jsonl FILE`, on this machine or another,
    into SQLite or PostgreSQL.
    """
    with open_memory(db) as mem:
        if out is None:
            report = transfer.export_jsonl(mem, sys.stdout, user_ids=users, with_vectors=with_vectors)
        else:
            partial = out.with_name(f".{out.name}.partial")
            try:
                with partial.open("w", encoding="utf-8", newline="\n") as f, progress_bar("exporting") as advance:
                    report = transfer.export_jsonl(mem, f, user_ids=users, with_vectors=with_vectors, progress=advance)
                os.replace(partial, out)
            finally:
                partial.unlink(missing_ok=True)
    typer.echo(
        f"exported {report.counts['memory']} memories of {len(report.per_user)} users "
        f"({report.counts['user']} user summaries, {report.counts['fact']} temporal facts, "
        f"{report.counts['edge']} edges)" + (f" to {out}" if out else ""),
        err=True,
    )


def import_jsonl(
    file: str | Path, *, db: str | Path | None = None, users: list[str] | None = None, verify: bool = False
) -> None:
    """``opm import --from jsonl FILE [--verify]`` (the ``import`` command is cli/imports.py): import, print the
    per-user outcome, exit 1 on any failure or difference."""
    with _local_file(str(file)) as path, open_memory(db) as mem:
        with progress_bar("importing") as advance:
            report = transfer.import_jsonl(mem, path, user_ids=users, progress=advance)
        _print_import(report)
        checked = transfer.verify_jsonl(mem, path, user_ids=users) if verify else None
    if checked is not None:
        _print_verify(checked)
    if report.failed or (checked is not None and not checked.ok):
        raise typer.Exit(1)


@handles_errors
def backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    db: DbOption = None,
) -> None:
    """Write a consistent backup of the whole database while it stays in use.

    SQLite: a SQLite file made by SQLite's online backup.
    PostgreSQL: an openmemory-jsonl export with vectors, read in one transaction.
    """
    with open_memory(db) as mem, progress_bar("backing up") as advance:
        kind = transfer.backup(mem, file, force=force, progress=advance)
    typer.echo(f"backed up {mem.location} to {file} ({kind})")


@handles_errors
def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `opm backup` or `opm export --with-vectors`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the contents of a database that is not empty.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Restore a backup into a database, which then holds exactly what the backup holds.

    Refuses a database that already holds data unless --force; a failed restore leaves it as it was.
    """
    with open_memory(db) as mem, progress_bar("restoring") as advance:
        report = transfer.restore(mem, file, force=force, progress=advance)
    typer.echo(f"restored {report.memories} memories of {report.users} users from {file} ({report.kind})")


@contextmanager
def _local_file(name: str) -> Iterator[Path]:
    """The file to read; standard input is first copied to a scratch file (the file is read more than once)."""
    if name != "-":
        yield Path(name)
        return
    with tempfile.TemporaryDirectory(prefix="opm-import-") as tmp:
        path = Path(tmp) / "stdin.jsonl"
        with path.open("wb") as f:
            shutil.copyfileobj(sys.stdin.buffer, f)
        yield path


def _who(user_id: str | None) -> str:
    return "(system user)" if user_id is None else user_id


def _print_import(report: ImportReport) -> None:
    for user_id, tally in report.per_user.items():
        facts = (
            f"; facts {tally.facts} imported, {tally.facts_skipped} skipped"
            if tally.facts or tally.facts_skipped
            else ""
        )
        typer.echo(
            f"  {_who(user_id)}: {tally.imported} imported, {tally.skipped} skipped, {tally.failed} failed{facts}"
        )
    vectors = "re-embedded" if report.reembedded else "vectors kept"
    typer.echo(
        f"imported {report.imported} memories, skipped {report.skipped} already present, failed {report.failed} "
        f"({report.users_restored} user summaries restored; {vectors})"
    )
    for failure in report.failures[:10]:
        typer.echo(f"error: {failure.memory_id} of {_who(failure.user_id)}: {failure.reason}", err=True)


def _print_verify(report: VerifyReport) -> None:
    for u in report.users:
        state = "ok" if u.ok else "DIFFERS"
        typer.echo(
            f"  verify {_who(u.user_id)}: {state}: file {u.in_file}, store {u.in_store}, missing {u.missing}, "
            f"differing {u.differing}, sha256 file {u.file_sha256[:12]} store {u.store_sha256[:12]}"
            + (f" (e.g. {', '.join(u.examples)})" if u.examples else "")
        )
    ok = "verify: every memory of the file is in the store, identical"
    typer.echo(ok if report.ok else "verify: differences found")
