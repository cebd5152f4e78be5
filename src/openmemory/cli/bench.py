"""``opm bench locomo|latency``: retrieval quality and speed, measured the same way on every machine."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from openmemory.cli.console import handles_errors, load_settings
from openmemory.cli.progress import progress_bar

bench_app = typer.Typer(help="Benchmarks: retrieval quality (LoCoMo) and speed.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")


@bench_app.command("locomo")
@handles_errors
def locomo(
    data: Annotated[Path, typer.Option("--data", help="locomo10.json, or a file with some of its conversations.")],
    split: Annotated[str, typer.Option("--split", help="dev (conv-26, conv-30) or all.")] = "dev",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the full report as JSON here.")] = None,
) -> None:
    """LoCoMo evidence recall@k for the engine, a BM25 baseline and a dense baseline, in one run."""
    from openmemory.bench.bm25 import BM25Retriever
    from openmemory.bench.dense import DenseRetriever
    from openmemory.bench.engine import MemoryRetriever
    from openmemory.bench.locomo import Retriever, evaluate, load_locomo, render_report, report_to_json
    from openmemory.memory import Memory

    if split not in ("dev", "all"):
        raise typer.BadParameter("--split must be dev or all")
    chosen: Literal["dev", "all"] = "dev" if split == "dev" else "all"
    conversations = load_locomo(data, split=chosen)
    with tempfile.TemporaryDirectory(prefix="opm-locomo-") as tmp:
        settings = load_settings(db_path=Path(tmp) / "locomo.sqlite", metadata_backend="sqlite")
        with Memory(settings=settings) as mem, progress_bar("locomo") as advance:
            retrievers: dict[str, Retriever] = {
                "engine": MemoryRetriever(mem),
                "bm25": BM25Retriever(),
                f"dense ({mem.embedder.name})": DenseRetriever(mem.embedder),
            }
            report = evaluate(conversations, retrievers, progress=lambda _d, done, total: advance(done, total))
    console = Console(width=140)
    for table in render_report(report):
        console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(report_to_json(report), indent=2) + "\n")


@bench_app.command("latency")
@handles_errors
def latency(
    memories: Annotated[int, typer.Option("--memories", min=1, help="How many memories to load.")] = 10_000,
    users: Annotated[int, typer.Option("--users", min=1, help="Spread them over this many users.")] = 1,
    queries: Annotated[int, typer.Option("--queries", min=10, help="Timed queries (of the first user).")] = 200,
    measure_adds: Annotated[
        int, typer.Option("--measure-adds", min=1, help="Memories added through Memory.add_many and timed.")
    ] = 2000,
    backend: Annotated[
        str, typer.Option("--backend", help="sqlite (a temporary file) or postgres (OM_PG_*).")
    ] = "sqlite",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON here.")] = None,
) -> None:
    """Add throughput and query latency (p50/p95/p99) on generated memories with the configured embedder."""
    from openmemory.bench.latency import run_latency
    from openmemory.memory import Memory

    with tempfile.TemporaryDirectory(prefix="opm-latency-") as tmp:
        if backend == "sqlite":
            settings = load_settings(db_path=Path(tmp) / "latency.sqlite", metadata_backend="sqlite")
        elif backend == "postgres":
            settings = load_settings(metadata_backend="postgres")
        else:
            raise typer.BadParameter("--backend must be sqlite or postgres")
        with Memory(settings=settings) as mem, progress_bar("loading") as advance:
            report = run_latency(
                mem, memories=memories, users=users, queries=queries, measure_adds=measure_adds,
                backend=backend, progress=advance,
            )  # fmt: skip
    data = report.to_json()
    for key, value in data.items():
        typer.echo(f"{key}: {round(value, 2) if isinstance(value, float) else value}")
    if json_out is not None:
        json_out.write_text(json.dumps(data, indent=2) + "\n")
