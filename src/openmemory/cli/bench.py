"""``opm bench locomo|latency|soak|concurrency``: quality, speed and reliability, measured the same way anywhere."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from openmemory.cli.console import handles_errors, load_settings
from openmemory.cli.progress import progress_bar

bench_app = typer.Typer(
    help="Benchmarks: retrieval quality (LoCoMo), speed, crash safety and concurrency.", no_args_is_help=True
)


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
    from threadpoolctl import threadpool_limits

    from openmemory.bench.latency import run_latency
    from openmemory.memory import Memory

    # One BLAS thread, as `opm serve` runs: a single query's vector products are too small to share out (with
    # OpenBLAS's default threads a 10,000-row product took 5.5 ms of CPU instead of 0.6).
    threadpool_limits(limits=1, user_api="blas")

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


@bench_app.command("soak")
@handles_errors
def soak(
    target: Annotated[str, typer.Option("--target", help="server, migrate, import, or all.")] = "all",
    kills: Annotated[int, typer.Option("--kills", min=1, help="SIGKILLs per target.")] = 50,
    writers: Annotated[int, typer.Option("--writers", min=1, help="Clients writing to the server.")] = 4,
    ann_min_memories: Annotated[
        int | None,
        typer.Option(
            "--ann-min-memories",
            min=0,
            help="The server's OM_ANN_MIN_MEMORIES: set it low to have the saved approximate indexes killed too.",
        ),
    ] = None,
    backend: Annotated[
        str, typer.Option("--backend", help="The server's store: sqlite (a temporary file) or postgres (OM_PG_*).")
    ] = "sqlite",
    fixtures: Annotated[
        Path, typer.Option("--fixtures", help="Upstream databases to migrate (tests/fixtures/upstream).")
    ] = Path("tests/fixtures/upstream"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the kill moments.")] = 0,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the reports as JSON here.")] = None,
) -> None:
    """SIGKILL opm serve, opm migrate and opm import at random moments; audit the data after each kill.

    With --backend postgres the server stores in OM_PG_SCHEMA, which must be empty (it is emptied again after).

    Exits 1 if an acknowledged write was lost, an audit failed or anything half-written was visible.
    """
    from openmemory.bench.soak import SoakReport
    from openmemory.bench.soak_commands import soak_import, soak_migrate
    from openmemory.bench.soak_server import soak_server

    chosen = ("server", "migrate", "import") if target == "all" else (target,)
    if any(t not in ("server", "migrate", "import") for t in chosen):
        raise typer.BadParameter("--target must be server, migrate, import or all")
    if backend not in ("sqlite", "postgres"):
        raise typer.BadParameter("--backend must be sqlite or postgres")
    postgres = load_settings() if backend == "postgres" else None
    reports: list[SoakReport] = []
    with tempfile.TemporaryDirectory(prefix="opm-soak-") as tmp:
        for name in chosen:
            workdir = Path(tmp) / name
            workdir.mkdir()
            with progress_bar(f"soak {name}") as advance:
                if name == "server":
                    report = soak_server(
                        workdir, kills=kills, writers=writers, ann_min_memories=ann_min_memories,
                        postgres=postgres, seed=seed, progress=advance,
                    )  # fmt: skip
                    reports.append(report)
                elif name == "migrate":
                    reports.append(soak_migrate(workdir, fixtures, kills=kills, seed=seed, progress=advance))
                else:
                    reports.append(soak_import(workdir, kills=kills, seed=seed, progress=advance))
    for report in reports:
        typer.echo(
            f"{report.target}: {report.kills} kills, {report.operations} operations, {report.acknowledged} "
            f"acknowledged writes, rows lost {report.rows_lost}, audits {report.audits} "
            f"({report.audits_failed} failed)"
        )
        for key, value in report.detail.items():
            typer.echo(f"  {key}: {value}")
        for problem in report.problems:
            typer.echo(f"  PROBLEM {problem}")
    if json_out is not None:
        json_out.write_text(json.dumps([r.to_json() for r in reports], indent=2) + "\n")
    if not all(r.is_clean for r in reports):
        raise typer.Exit(1)


@bench_app.command("concurrency")
@handles_errors
def concurrency(
    processes: Annotated[int, typer.Option("--processes", min=1, help="Client processes.")] = 8,
    seconds: Annotated[float, typer.Option("--seconds", min=1, help="How long they add and query.")] = 60,
    threads: Annotated[int, typer.Option("--threads", min=1, help="Requests in flight per process.")] = 1,
    mode: Annotated[
        str, typer.Option("--mode", help="http (one opm serve) or direct (each process opens the SQLite file).")
    ] = "http",
    backend: Annotated[
        str, typer.Option("--backend", help="sqlite (a temporary file) or postgres (OM_PG_*: an empty schema).")
    ] = "sqlite",
    pool_max: Annotated[
        int | None, typer.Option("--pool-max", min=1, help="PostgreSQL: the server's OM_PG_POOL_MAX.")
    ] = None,
    server_workers: Annotated[
        int, typer.Option("--server-workers", min=1, help="http mode: opm serve --workers (processes on one store).")
    ] = 1,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON here.")] = None,
) -> None:
    """Client processes adding and querying at once; then every acknowledged write is looked up.

    Exits 1 on a "database is locked" error, a failure other than a clean 503, or a lost write.
    """
    from openmemory.bench.concurrency import run_concurrency

    if mode not in ("http", "direct") or backend not in ("sqlite", "postgres"):
        raise typer.BadParameter("--mode must be http or direct, --backend sqlite or postgres")
    with tempfile.TemporaryDirectory(prefix="opm-concurrency-") as tmp:
        report = run_concurrency(
            Path(tmp), mode="http" if mode == "http" else "direct", backend=backend, processes=processes,
            threads=threads, seconds=seconds, pool_max=pool_max, server_workers=server_workers,
            settings=load_settings(),
        )  # fmt: skip
    data = report.to_json()
    for key, value in data.items():
        if key != "samples":
            typer.echo(f"{key}: {value}")
    for sample in report.samples:
        typer.echo(f"  sample failure: {sample}")
    if json_out is not None:
        json_out.write_text(json.dumps(data, indent=2) + "\n")
    if not report.is_clean:
        raise typer.Exit(1)
