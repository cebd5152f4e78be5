"""``opm add|query|list|get|delete|users|stats``: the memory commands, human output or ``--json``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from openmemory.cli.console import handles_errors, load_settings
from openmemory.memory import Memory
from openmemory.models import Hit, MemoryRecord

DbOption = Annotated[
    Path | None, typer.Option("--db", help="SQLite database file (default: OM_DB_PATH).", show_default=False)
]
UserOption = Annotated[
    str | None, typer.Option("--user", "-u", help="Owner of the memories (default: the system user).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        "-p",
        help="Project scope: store into it; read its memories, system_global ones and unscoped ones.",
    ),
]


def register(app: typer.Typer) -> None:
    for name, func in (("add", add), ("query", query), ("list", list_), ("get", get), ("delete", delete),
                       ("users", users), ("stats", stats)):  # fmt: skip
        app.command(name)(func)


def open_memory(db: Path | None) -> Memory:
    return Memory(settings=load_settings(db_path=db))


def memory_json(record: MemoryRecord) -> dict[str, Any]:
    data = asdict(record)
    data["id"] = data.pop("memory_id")
    data["tags"] = list(record.tags)
    data["sectors"] = list(record.sectors)
    return data


def hit_json(hit: Hit) -> dict[str, Any]:
    return {**memory_json(hit.memory), "score": hit.score, "parts": asdict(hit.parts), "path": list(hit.path)}


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _console() -> Console:
    return Console(width=None if Console().is_terminal else 160)


@handles_errors
def add(
    content: Annotated[str, typer.Argument(help="The text to remember ('-' reads standard input).")],
    user: UserOption = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag; repeat for several.")] = None,
    meta: Annotated[str | None, typer.Option("--meta", help="Metadata as a JSON object.")] = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Store a memory for a user."""
    text = typer.get_text_stream("stdin").read() if content == "-" else content
    metadata = _parse_meta(meta)
    with open_memory(db) as mem:
        result = mem.add(text, user_id=user, tags=tag, metadata=metadata, project_id=project)
    if as_json:
        _print_json({**asdict(result), "id": result.memory_id})
    else:
        what = "already stored" if result.deduplicated else "stored"
        typer.echo(f"{what} {result.memory_id} ({', '.join(result.sectors)})")


def _parse_meta(meta: str | None) -> dict[str, Any] | None:
    if meta is None:
        return None
    try:
        value = json.loads(meta)
    except ValueError as exc:
        raise typer.BadParameter(f"--meta is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise typer.BadParameter("--meta must be a JSON object")
    return value


@handles_errors
def query(
    text: Annotated[str, typer.Argument(help="What to look for.")],
    user: UserOption = None,
    k: Annotated[int, typer.Option("--k", "-k", help="How many results (1..200).")] = 10,
    sector: Annotated[str | None, typer.Option("--sector", help="Only this sector.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Only memories with this tag.")] = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find a user's memories most relevant to a text, with the reasons they matched."""
    with open_memory(db) as mem:
        hits = mem.query(text, user_id=user, k=k, sector=sector, tags=tag, project_id=project)
    if as_json:
        _print_json([hit_json(h) for h in hits])
        return
    table = Table(title=f"{len(hits)} matches")
    for col in ("score", "sector", "content", "why"):
        table.add_column(col)
    for h in hits:
        why = f"sim {h.parts.similarity:.2f} lex {h.parts.lexical:.2f} sal {h.parts.salience:.2f}"
        table.add_row(f"{h.score:.3f}", h.memory.primary_sector, h.memory.content[:200], why)
    _console().print(table)


@handles_errors
def list_(
    user: UserOption = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (1..1000).")] = 50,
    offset: Annotated[int, typer.Option("--offset", help="Skip this many first.")] = 0,
    sector: Annotated[str | None, typer.Option("--sector", help="Only this sector.")] = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List a user's memories, newest first."""
    with open_memory(db) as mem:
        records = mem.list(user_id=user, limit=limit, offset=offset, sector=sector, project_id=project)
    if as_json:
        _print_json([memory_json(r) for r in records])
        return
    table = Table(title=f"{len(records)} memories")
    for col in ("id", "sector", "project", "salience", "content"):
        table.add_column(col)
    for r in records:
        table.add_row(r.memory_id, r.primary_sector, r.project_id or "", f"{r.salience:.2f}", r.content[:200])
    _console().print(table)


@handles_errors
def get(
    memory_id: Annotated[str, typer.Argument(help="The memory's id.")],
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one memory."""
    with open_memory(db) as mem:
        record = mem.get(memory_id, user_id=user, project_id=project)
    if as_json:
        _print_json(memory_json(record))
        return
    for key, value in memory_json(record).items():
        typer.echo(f"{key}: {value}")


@handles_errors
def delete(
    memory_id: Annotated[str, typer.Argument(help="The memory's id.")],
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete one memory with its vectors and waypoints."""
    with open_memory(db) as mem:
        mem.delete(memory_id, user_id=user, project_id=project)
    if as_json:
        _print_json({"ok": True, "id": memory_id})
    else:
        typer.echo(f"deleted {memory_id}")


@handles_errors
def users(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List every user that has memories, with counts and summaries (local admin view)."""
    with open_memory(db) as mem:
        rows: list[dict[str, Any]] = []
        for user_id in mem.users():
            summary = mem.user_summary(user_id) if user_id is not None else mem.user_summary_of_system()
            rows.append({"user_id": user_id, "memories": mem.count(user_id=user_id), "summary": summary})
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"{len(rows)} users")
    for col in ("user", "memories", "summary"):
        table.add_column(col)
    for row in rows:
        table.add_row(row["user_id"] or "(system)", str(row["memories"]), row["summary"][:160])
    _console().print(table)


@handles_errors
def stats(user: UserOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Counts for one user: memories per sector, average salience, waypoints."""
    with open_memory(db) as mem:
        result = mem.stats(user_id=user)
    data = asdict(result)
    if as_json:
        _print_json(data)
        return
    for key, value in data.items():
        typer.echo(f"{key}: {value}")
