"""``create_app(settings)``: the FastAPI app serving upstream OpenMemory's REST API over one Memory.

All state (the Memory, the key ring, the request meter, the background jobs) lives on ``app.state`` and in the
lifespan, never at module level, so tests can build as many apps as they like.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route
from threadpoolctl import threadpool_limits

from openmemory.api.auth import KeyRing
from openmemory.api.balance import BalanceMiddleware, WorkerLoad
from openmemory.api.errors import install_error_handlers
from openmemory.api.jobs import Jobs
from openmemory.api.limits import RequestGuard
from openmemory.api.mcp_endpoint import PATH as MCP_PATH
from openmemory.api.mcp_endpoint import McpEndpoint, serving_mcp
from openmemory.api.meter import MeterMiddleware, RequestMeter
from openmemory.api.ratelimit import KeyLimiter
from openmemory.api.routes import dashboard, health, temporal, users, vercel
from openmemory.api.routes import memory as memory_routes
from openmemory.api.schemas import ErrorBody
from openmemory.config import Settings
from openmemory.memory import Memory

log = logging.getLogger("openmemory.api")

LOCAL_MODE_WARNING = (
    "No API key configured (OM_API_KEY, OM_API_KEYS, OM_ADMIN_KEY): local single-user mode. Every request acts as "
    "the machine's owner and may name any user_id. Serving on loopback only."
)


def _open_memory(settings: Settings) -> Memory:
    started = time.perf_counter()
    mem = Memory(settings=settings)
    owners, memories = mem.warm_up()
    # The warmed owner caches are ~100k long-lived objects that every full collection would walk again (at
    # 10,000 memories a 25-60 ms pause stalling every request in flight: the REST p99); set them aside.
    gc.collect()
    gc.freeze()
    log.info(
        "worker %d opened %s with embedder %s (loaded) and %d owners' indexes (%d memories) in %.2f s; "
        "query-time reinforcement written %s",
        os.getpid(), settings.db_path if settings.metadata_backend == "sqlite" else mem.location,
        mem.embedder.name, owners, memories, time.perf_counter() - started,
        f"every {settings.recall_flush_ms} ms" if settings.recall_flush_ms else "at once",
    )  # fmt: skip
    return mem


def create_app(settings: Settings, memory: Memory | None = None, load: WorkerLoad | None = None) -> FastAPI:
    """Build the app. With ``memory`` given the caller keeps ownership; otherwise it is opened at start-up
    from ``settings`` and closed at shutdown, after in-flight requests and background jobs have finished.
    ``load`` (``opm serve --workers N``) spreads keep-alive connections over the workers (api/balance.py).
    """
    keyring = KeyRing(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if keyring.is_local:
            log.warning(LOCAL_MODE_WARNING)
        # Many small matrix products from concurrent requests: one BLAS thread each is faster than a pool of
        # spinning ones fighting over two cores (measured in-process, 16 threads: 156 -> 187 queries/s; two
        # workers: 147 -> 372). Scale out with `opm serve --workers N` instead.
        threadpool_limits(limits=1, user_api="blas")
        owned = memory is None
        mem = memory if memory is not None else await run_in_threadpool(_open_memory, settings)
        app.state.memory = mem
        jobs = Jobs.from_settings(mem, settings)
        jobs.start()
        try:
            async with serving_mcp(app, mem):
                yield
        finally:
            await run_in_threadpool(jobs.stop)
            if owned:
                await run_in_threadpool(mem.close)
                log.info("database closed")

    app = FastAPI(
        title="OpenMemory",
        version=health.package_version(),
        summary="Long-term, per-user memory for LLM agents; upstream OpenMemory's REST API.",
        lifespan=lifespan,
    )
    app.state.keyring = keyring
    app.state.limiter = KeyLimiter.from_settings(settings)
    app.state.query_threads = settings.serve_query_threads
    app.state.meter = RequestMeter()
    if memory is not None:
        app.state.memory = memory
    for module in (health, memory_routes, users, dashboard, vercel, temporal):
        app.include_router(module.router)
    app.router.routes.append(Route(MCP_PATH, McpEndpoint(), methods=["POST", "GET", "DELETE", "PUT"]))
    install_error_handlers(app)
    app.add_middleware(MeterMiddleware, meter=app.state.meter)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_payload_size)
    if load is not None:
        app.add_middleware(BalanceMiddleware, load=load, skip_prefix=MCP_PATH)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, with FastAPI's 422 replaced by the 400 and error shape this API really sends."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses["400"] = {"description": "Invalid input", **error}
            responses["default"] = {"description": "Error: {err, message}", **error}
    app.openapi_schema = schema
    return schema
