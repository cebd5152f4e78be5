"""docs/rest.md names every route the app serves."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import APIRoute

from openmemory.api import create_app
from openmemory.config import Settings

DOC = Path(__file__).parents[2] / "docs" / "rest.md"


def test_every_route_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8").replace("{id}", "{memory_id}")
    app = create_app(Settings.load(embeddings="synthetic"))
    for route in app.routes:
        if isinstance(route, APIRoute):
            for method in route.methods:
                assert f"**{method} {route.path}**" in text, f"{method} {route.path} missing from docs/rest.md"
