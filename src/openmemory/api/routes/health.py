"""``GET /health`` (public) and ``GET /sectors`` (the caller's own per-sector counts)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, Request

from openmemory.api.context import CallerDep, MemoryDep
from openmemory.api.overview import overview_of
from openmemory.engine.sectors import DECAY_LAMBDA_PER_DAY, SECTOR_WEIGHT
from openmemory.memory import Memory
from openmemory.models import SECTORS

router = APIRouter(tags=["system"])


def package_version() -> str:
    try:
        return version("openmemory-py")
    except PackageNotFoundError:
        return "0+unknown"


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    """Liveness. Unlike upstream (reference §10.1 #8) it shows no provider URLs or keys."""
    memory: Memory = request.app.state.memory
    embedder = memory.embedder
    return {
        "ok": True,
        "version": package_version(),
        "embedding": {"provider": memory.settings.embeddings, "model": embedder.name, "dim": embedder.dim},
        "tier": "local",
        "dim": embedder.dim,
        "cache": 0,
        "expected": {},
    }


@router.get("/sectors")
def sectors(memory: MemoryDep, caller: CallerDep, user_id: str | None = None) -> dict[str, Any]:
    """The five sectors, their constants, and the caller's memory count and average salience per sector."""
    overview = overview_of(memory, caller.owner(user_id))
    avg = overview.sector_salience()
    return {
        "sectors": list(SECTORS),
        "configs": {s: {"decay_lambda": DECAY_LAMBDA_PER_DAY[s], "weight": SECTOR_WEIGHT[s]} for s in SECTORS},
        "stats": [
            {"sector": s, "count": overview.per_sector.get(s, 0), "avg_salience": round(avg.get(s, 0.0), 4)}
            for s in SECTORS
        ],
    }
