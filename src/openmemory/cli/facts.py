"""``opm facts ...``: a user's temporal facts from the command line, human output or ``--json``.

Dates are accepted as ISO 8601 (``2024-06-01``, ``2024-06-01T09:00:00Z``) or epoch milliseconds and printed as ISO
strings, as the REST API does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from openmemory.cli.console import handles_errors, load_settings
from openmemory.facts import iso
from openmemory.memory import Memory
from openmemory.models import Fact, FactComparison, TimelineEntry

facts_app = typer.Typer(
    name="facts",
    help="Temporal facts: (subject, predicate, object) with the time they held, per user.",
    no_args_is_help=True,
)

DbOption = Annotated[
    Path | None, typer.Option("--db", help="SQLite database file (default: OM_DB_PATH).", show_default=False)
]
UserOption = Annotated[str | None, typer.Option("--user", "-u", help="Owner of the facts (default: the system user).")]
ProjectOption = Annotated[
    str | None, typer.Option("--project", "-p", help="Project: its own, system_global and unscoped facts.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
AtOption = Annotated[str | None, typer.Option("--at", help="Point in time (ISO 8601 or epoch ms; default now).")]


def register(app: typer.Typer) -> None:
    app.add_typer(facts_app)


def _open(db: Path | None) -> Memory:
    # facts use no embedder: don't refuse a database built with another one
    return Memory(settings=load_settings(db_path=db), check_embedder=False)


def fact_json(f: Fact) -> dict[str, Any]:
    return {
        "id": f.fact_id, "user_id": f.user_id, "project_id": f.project_id, "subject": f.subject,
        "predicate": f.predicate, "object": f.object, "valid_from": iso(f.valid_from_ms),
        "valid_to": iso(f.valid_to_ms), "confidence": f.confidence, "last_updated": iso(f.last_updated_ms),
        "metadata": f.metadata,
    }  # fmt: skip


def entry_json(e: TimelineEntry) -> dict[str, Any]:
    return {
        "timestamp": iso(e.timestamp_ms), "subject": e.subject, "predicate": e.predicate, "object": e.object,
        "confidence": e.confidence, "change_type": e.change_type, "fact_id": e.fact_id,
    }  # fmt: skip


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _report(value: Any, as_json: bool, line: str) -> None:
    """The outcome of a change: ``value`` as JSON for scripts, else one line for people."""
    if as_json:
        _print_json(value)
    else:
        typer.echo(line)


def _console() -> Console:
    return Console(width=None if Console().is_terminal else 160)


def _show_facts(found: list[Fact], as_json: bool, title: str = "facts") -> None:
    if as_json:
        _print_json([fact_json(f) for f in found])
        return
    table = Table(title=f"{len(found)} {title}")
    for col in ("id", "subject", "predicate", "object", "valid_from", "valid_to", "confidence"):
        table.add_column(col)
    for f in found:
        table.add_row(
            f.fact_id, f.subject[:60], f.predicate[:40], f.object[:80], iso(f.valid_from_ms),
            iso(f.valid_to_ms) or "(open)", f"{f.confidence:.2f}",
        )  # fmt: skip
    _console().print(table)


def _show_fact(f: Fact, as_json: bool) -> None:
    if as_json:
        _print_json(fact_json(f))
        return
    for key, value in fact_json(f).items():
        typer.echo(f"{key}: {'' if value is None else value}")


def _show_entries(entries: list[TimelineEntry], as_json: bool) -> None:
    if as_json:
        _print_json([entry_json(e) for e in entries])
        return
    table = Table(title=f"{len(entries)} changes")
    for col in ("when", "change", "subject", "predicate", "object"):
        table.add_column(col)
    for e in entries:
        table.add_row(iso(e.timestamp_ms), e.change_type, e.subject[:60], e.predicate[:40], e.object[:80])
    _console().print(table)


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


@facts_app.command("add")
@handles_errors
def add(
    subject: Annotated[str, typer.Argument(help="What the fact is about (1..1024 characters).")],
    predicate: Annotated[str, typer.Argument(help="The relation, e.g. works_at (1..1024 characters).")],
    obj: Annotated[str, typer.Argument(metavar="OBJECT", help="The value (1..8192 characters).")],
    valid_from: Annotated[
        str | None, typer.Option("--from", help="When it became true (ISO 8601 or epoch ms; default now).")
    ] = None,
    confidence: Annotated[float, typer.Option("--confidence", help="0..1.")] = 1.0,
    meta: Annotated[str | None, typer.Option("--meta", help="Metadata as a JSON object.")] = None,
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a fact; the user's earlier open fact for the same subject and predicate is closed."""
    metadata = _parse_meta(meta)
    with _open(db) as mem:
        f = mem.facts.add(
            subject, predicate, obj, user_id=user, project_id=project, valid_from=valid_from, confidence=confidence,
            metadata=metadata,
        )  # fmt: skip
    _report(
        fact_json(f), as_json, f"stored {f.fact_id} ({f.subject} {f.predicate} {f.object} from {iso(f.valid_from_ms)})"
    )


@facts_app.command("get")
@handles_errors
def get(
    fact_id: Annotated[str, typer.Argument(help="The fact's id.")],
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one fact."""
    with _open(db) as mem:
        _show_fact(mem.facts.get(fact_id, user_id=user, project_id=project), as_json)


@facts_app.command("current")
@handles_errors
def current(
    subject: Annotated[str, typer.Argument(help="The subject.")],
    predicate: Annotated[str, typer.Argument(help="The predicate.")],
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the subject's current (newest open) fact for a predicate; exit 1 when there is none."""
    with _open(db) as mem:
        found = mem.facts.current(subject, predicate, user_id=user, project_id=project)
    if found is None:
        typer.echo(f"error: no current fact for {subject!r} {predicate!r}", err=True)
        raise typer.Exit(1)
    _show_fact(found, as_json)


@facts_app.command("subject")
@handles_errors
def subject(
    name: Annotated[str, typer.Argument(metavar="SUBJECT", help="The subject.")],
    at: AtOption = None,
    historical: Annotated[
        bool, typer.Option("--all", help="Every fact it ever had, not only those valid then.")
    ] = False,
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """What is known about a subject at a time (default now), or its whole history with --all."""
    with _open(db) as mem:
        found = mem.facts.subject(name, user_id=user, project_id=project, at=at, include_historical=historical)
    _show_facts(found, as_json)


@facts_app.command("timeline")
@handles_errors
def timeline(
    name: Annotated[str, typer.Argument(metavar="SUBJECT", help="The subject.")],
    predicate: Annotated[str | None, typer.Argument(help="Only this predicate.")] = None,
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every change of a subject: when each fact was created and invalidated, oldest first."""
    with _open(db) as mem:
        _show_entries(mem.facts.timeline(name, predicate, user_id=user, project_id=project), as_json)


@facts_app.command("history")
@handles_errors
def history(
    predicate: Annotated[str, typer.Argument(help="The predicate.")],
    start: Annotated[str | None, typer.Option("--from", help="Only changes at or after this time.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Only changes at or before this time.")] = None,
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every change of one predicate across the user's subjects, oldest first."""
    with _open(db) as mem:
        entries = mem.facts.history(predicate, user_id=user, project_id=project, start=start, end=end)
    _show_entries(entries, as_json)


@facts_app.command("search")
@handles_errors
def search(
    pattern: Annotated[str, typer.Argument(help="Text the field contains (case-insensitive; % and _ are literal).")],
    field: Annotated[str, typer.Option("--field", help="subject, predicate or object.")] = "subject",
    at: AtOption = None,
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find facts valid at a time (default now) whose subject, predicate or object contains a text."""
    with _open(db) as mem:
        _show_facts(mem.facts.search(pattern, field=field, user_id=user, project_id=project, at=at), as_json)


@facts_app.command("compare")
@handles_errors
def compare(
    name: Annotated[str, typer.Argument(metavar="SUBJECT", help="The subject.")],
    time1: Annotated[str, typer.Argument(help="The earlier time (ISO 8601 or epoch ms).")],
    time2: Annotated[str, typer.Argument(help="The later time.")],
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """What changed about a subject between two times: added, removed, changed and unchanged predicates."""
    with _open(db) as mem:
        diff = mem.facts.compare(name, time1, time2, user_id=user, project_id=project)
    _show_comparison(diff, as_json)


def _show_comparison(diff: FactComparison, as_json: bool) -> None:
    if as_json:
        _print_json({
            "added": [fact_json(f) for f in diff.added], "removed": [fact_json(f) for f in diff.removed],
            "changed": [{"before": fact_json(c.before), "after": fact_json(c.after)} for c in diff.changed],
            "unchanged": [fact_json(f) for f in diff.unchanged],
        })  # fmt: skip
        return
    for f in diff.added:
        typer.echo(f"+ {f.predicate}: {f.object}")
    for f in diff.removed:
        typer.echo(f"- {f.predicate}: {f.object}")
    for c in diff.changed:
        typer.echo(f"~ {c.after.predicate}: {c.before.object} -> {c.after.object}")
    for f in diff.unchanged:
        typer.echo(f"= {f.predicate}: {f.object}")


@facts_app.command("invalidate")
@handles_errors
def invalidate(
    fact_id: Annotated[str, typer.Argument(help="The fact's id.")],
    at: Annotated[str | None, typer.Option("--at", help="When it stopped being true (default now).")] = None,
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close a fact (it stays in the history)."""
    with _open(db) as mem:
        f = mem.facts.invalidate(fact_id, user_id=user, project_id=project, valid_to=at)
    _report(fact_json(f), as_json, f"invalidated {f.fact_id} at {iso(f.valid_to_ms)}")


@facts_app.command("delete")
@handles_errors
def delete(
    fact_id: Annotated[str, typer.Argument(help="The fact's id.")],
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete a fact and its edges for good (invalidate keeps the history instead)."""
    with _open(db) as mem:
        mem.facts.delete(fact_id, user_id=user, project_id=project)
    _report({"ok": True, "id": fact_id}, as_json, f"deleted {fact_id}")


@facts_app.command("stats")
@handles_errors
def stats(
    user: UserOption = None, project: ProjectOption = None, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """How many facts the user has: still true, and historical."""
    with _open(db) as mem:
        s = mem.facts.stats(user_id=user, project_id=project)
    data = {"active_facts": s.active, "historical_facts": s.historical, "total_facts": s.total}
    if as_json:
        _print_json(data)
        return
    for key, value in data.items():
        typer.echo(f"{key}: {value}")


@facts_app.command("volatile")
@handles_errors
def volatile(
    name: Annotated[str | None, typer.Option("--subject", help="Only this subject.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (1..1000).")] = 10,
    user: UserOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The subject+predicate pairs that changed most often."""
    with _open(db) as mem:
        found = mem.facts.volatile(user_id=user, project_id=project, subject=name, limit=limit)
    rows = [
        {"subject": v.subject, "predicate": v.predicate, "change_count": v.change_count,
         "avg_confidence": v.avg_confidence}
        for v in found
    ]  # fmt: skip
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"{len(rows)} volatile facts")
    for col in ("subject", "predicate", "facts", "avg confidence"):
        table.add_column(col)
    for v in found:
        table.add_row(v.subject[:60], v.predicate[:40], str(v.change_count), f"{v.avg_confidence:.2f}")
    _console().print(table)


@facts_app.command("decay")
@handles_errors
def decay(
    rate: Annotated[float, typer.Option("--rate", help="Decay per day of age, 0..1.")] = 0.01,
    every_user: Annotated[bool, typer.Option("--all-users", help="Decay every user's facts.")] = False,
    user: UserOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Lower the confidence of open facts with their age: max(0.1, confidence x (1 - rate x age in days))."""
    if every_user and user is not None:
        raise typer.BadParameter("give --user or --all-users, not both")
    with _open(db) as mem:
        updated = mem.facts.decay_all(rate=rate) if every_user else mem.facts.decay(user_id=user, rate=rate)
    scope = "all" if every_user else "user"
    _report({"decay_rate": rate, "facts_updated": updated, "scope": scope}, as_json, f"decayed {updated} facts")
