"""``opm import``: bring every memory of every user over from Mem0, Zep or Supermemory (API or export file).

    opm import --from mem0 --api-key KEY                      # every Mem0 user, into the local store
    opm import --from zep --file threads.json --user alice    # one user of a Zep export
    opm import --from supermemory --api-key KEY --to http://host:8080 --to-api-key ADMIN_KEY
    opm import --retry opm-import-mem0-failed.jsonl           # only the items that failed last time

Memories keep their user, text, times, tags and metadata; ``metadata.source`` / ``source_id`` key them, so running
the same command again (or after a crash) adds nothing twice. See docs/import.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from openmemory.cli.console import fail, handles_errors, load_settings
from openmemory.client import Client
from openmemory.clock import now_ms
from openmemory.errors import TenantMismatch, Unauthenticated
from openmemory.importers import mem0, supermemory, zep
from openmemory.importers.base import Importer, Scope
from openmemory.importers.http import SourceClient
from openmemory.importers.ledger import Checkpoint, FailureLog, RetryFile
from openmemory.importers.pipeline import BATCH, Report, run_import
from openmemory.importers.pipeline import Progress as Advance
from openmemory.importers.target import LocalTarget, RemoteTarget, Target
from openmemory.importers.verify import UserCheck, verify
from openmemory.memory import Memory
from openmemory.outbound import OutboundPolicy, allow_entries

SOURCES = ("mem0", "zep", "supermemory", "jsonl")
VERSIONS = {"mem0": ("v2", "v1"), "zep": ("v3", "v2")}


def register(app: typer.Typer) -> None:
    app.command("import")(import_)


@handles_errors
def import_(
    source: Annotated[
        str | None,
        typer.Option("--from", help="mem0, zep, supermemory, or jsonl (our own export).", show_default=False),
    ] = None,
    path: Annotated[
        Path | None, typer.Argument(help="Export file to read (same as --file).", show_default=False)
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Read this export file instead of the service's API.")
    ] = None,
    user: Annotated[
        list[str] | None, typer.Option("--user", "-u", help="Import only this user; repeat for several.")
    ] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", help="The source service's API key.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="The service's URL (self-hosted).")] = None,
    api_version: Annotated[
        str | None, typer.Option("--api-version", help="mem0: v2 (default) or v1; zep: v3 threads (default) or v2.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="A running OpenMemory server (default: the local store).")
    ] = None,
    to_api_key: Annotated[
        str | None,
        typer.Option(
            "--to-api-key",
            help="Key for --to; an admin key to write several users. Reading a --file, "
            "--api-key serves as this key when --to-api-key is not given.",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Local SQLite file or postgresql:// URL (default: OM_DB_PATH / OM_PG_* settings)."),
    ] = None,
    failed: Annotated[
        Path | None, typer.Option("--failed", help="Where failed items go (default: opm-import-SOURCE-failed.jsonl).")
    ] = None,
    retry: Annotated[
        Path | None, typer.Option("--retry", help="Import only the items of a failures file from an earlier run.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--verify", help="Afterwards, compare per-user counts and content hashes; list differences.")
    ] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, max=500, help="Memories embedded together.")] = BATCH,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Let the source's URL be this private, loopback or link-local host, address or CIDR block "
            "(refused otherwise; adds to OM_OUTBOUND_ALLOW); repeat for several.",
        ),
    ] = None,
) -> None:
    """Import memories from Mem0, Zep or Supermemory, each under its own user_id, with its own times."""
    file = file or path
    if source is None and retry is None:
        raise fail("--from is required: mem0, zep, supermemory or jsonl (or --retry FILE)", 2)
    if source is not None and source not in SOURCES:
        raise fail(f"--from must be one of {', '.join(SOURCES)}, got {source!r}", 2)
    if source == "jsonl":
        if file is None:
            raise fail("--from jsonl needs the file to read: opm import --from jsonl FILE", 2)
        return import_jsonl(file, db=db, users=user, verify=check)
    if api_version is not None and api_version not in VERSIONS.get(source or "", ()):
        raise fail(f"--api-version for {source} must be one of {', '.join(VERSIONS.get(source or '', ()))}", 2)
    if source is not None and retry is None and file is None and not api_key:
        raise fail(f"reading {source}'s API needs --api-key (or read an export with --file)", 2)
    target_key = to_api_key or (api_key if (file is not None or retry is not None) else None)
    with ExitStack() as stack:
        settings = load_settings()
        policy = OutboundPolicy.parse(
            settings.outbound_allow, *allow_entries(allow_host), max_response_bytes=settings.outbound_max_bytes
        )
        importer = _importer(source, file, retry, api_key, base_url, api_version, policy)
        stack.callback(importer.close)
        target = stack.enter_context(_target(to, target_key, db))
        scopes = importer.scopes(user)
        log = FailureLog(failed or Path(f"opm-import-{importer.source}-failed.jsonl"))
        stack.callback(log.close)
        resume = None
        if retry is None and not check:
            origin = str(file.resolve()) if file else base_url or source
            resume = Checkpoint(Path.cwd(), importer.source, [origin, api_version, target.location, sorted(user or [])])
        with progress_bars() as advance:
            report = _run(importer, target, scopes, log, resume, advance, batch, to)
        if resume is not None:
            resume.finish()
        _print_summary(report, log)
        differences = _print_checks(verify(target, importer.source, report.hashes)) if check else 0
    if log.count or differences:
        raise typer.Exit(1)


def _importer(
    source: str | None, file: Path | None, retry: Path | None, api_key: str | None, base_url: str | None,
    version: str | None, policy: OutboundPolicy,
) -> Importer:  # fmt: skip
    if retry is not None:
        return RetryFile(retry)
    if source == "mem0":
        if file is not None:
            return mem0.Mem0File(file, clock=now_ms)
        client = SourceClient("Mem0", base_url or mem0.DEFAULT_URL, mem0.Mem0Api.headers(api_key or ""), policy=policy)
        return mem0.Mem0Api(client, api_version=version or "v2", clock=now_ms)
    if source == "zep":
        if file is not None:
            return zep.ZepFile(file, clock=now_ms)
        client = SourceClient("Zep", base_url or zep.DEFAULT_URL, zep.ZepApi.headers(api_key or ""), policy=policy)
        return zep.ZepApi(client, api_version=version or "v3", clock=now_ms)
    if file is not None:
        return supermemory.SupermemoryFile(file, clock=now_ms)
    client = SourceClient(
        "Supermemory",
        base_url or supermemory.DEFAULT_URL,
        supermemory.SupermemoryApi.headers(api_key or ""),
        policy=policy,
    )
    return supermemory.SupermemoryApi(client, clock=now_ms)


@contextmanager
def _target(to: str | None, api_key: str | None, db: str | None) -> Iterator[Target]:
    if to is not None:
        with Client(to, api_key=api_key) as client:
            yield RemoteTarget(client)
        return
    with Memory(db, settings=load_settings()) as memory:
        yield LocalTarget(memory)


def _run(
    importer: Importer, target: Target, scopes: list[Scope], log: FailureLog, resume: Checkpoint | None,
    advance: Advance, batch: int, to: str | None,
) -> Report:  # fmt: skip
    try:
        return run_import(importer, target, scopes, failures=log, checkpoint=resume, progress=advance, batch=batch)
    except TenantMismatch as exc:
        raise fail(
            f"the key given for --to {to} is not the server's admin key: it may write only its own tenant, not "
            f"user {exc.user_id!r}. Importing several users needs the admin key (OM_ADMIN_KEY on the server)"
        ) from None
    except Unauthenticated as exc:
        raise fail(f"the OpenMemory server at {to} refused the key ({exc}); pass --to-api-key") from None


@contextmanager
def progress_bars(console: Console | None = None) -> Iterator[Advance]:
    """Two bars on a terminal (the current user's, and everything's); nothing in pipes."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield lambda label, done, total: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        overall = bar.add_task("total", total=None)
        per_user: dict[str, object] = {}

        def advance(label: str, done: int, total: int) -> None:
            if label not in per_user:
                for task in per_user.values():
                    bar.update(task, visible=False)  # type: ignore[arg-type]
                per_user[label] = bar.add_task(f"user {label}", total=None)
            bar.update(per_user[label], completed=done)  # type: ignore[arg-type]
            bar.update(overall, completed=total)

        yield advance


def _name(user_id: str | None) -> str:
    return "(system user)" if user_id is None else user_id


def _print_summary(report: Report, log: FailureLog) -> None:
    for label in report.resumed:
        typer.echo(f"resumed: {label} was finished by an earlier run")
    for user_id, t in sorted(report.users.items(), key=lambda kv: _name(kv[0])):
        typer.echo(f"{_name(user_id)}: {t.imported} imported, {t.duplicates} skipped as duplicates, {t.failed} failed")
    total = report.total
    typer.echo(
        f"total: {total.imported} imported, {total.duplicates} skipped as duplicates, {total.failed} failed "
        f"({len(report.users)} users)"
    )
    if log.count:
        typer.echo(
            f"{log.count} failed items are in {log.path}; retry them with: opm import --retry {log.path}", err=True
        )


def _print_checks(checks: list[UserCheck]) -> int:
    differing = [c for c in checks if not c.is_same]
    for c in differing:
        typer.echo(
            f"verify: {_name(c.user_id)}: source {c.source_count}, target {c.target_count}; missing "
            f"{_few(c.missing)}, changed {_few(c.changed)}, extra {_few(c.extra)}"
        )
    typer.echo(f"verify: {len(checks) - len(differing)} of {len(checks)} users match (counts and content hashes)")
    return len(differing)


def _few(ids: tuple[str, ...]) -> str:
    if not ids:
        return "0"
    shown = ", ".join(ids[:5])
    return f"{len(ids)} ({shown}{', ...' if len(ids) > 5 else ''})"


def import_jsonl(path: Path, *, db: str | None, users: list[str] | None, verify: bool) -> None:
    """``opm import --from jsonl FILE``: our own export format, handed whole to ``opm export``'s module."""
    try:
        transfer = import_module("openmemory.cli.transfer")
    except ModuleNotFoundError as exc:
        if exc.name != "openmemory.cli.transfer":
            raise
        raise fail("--from jsonl is not available in this build (it comes with `opm export`)") from None
    transfer.import_jsonl(path, db=db, users=users, verify=verify)
