"""docs/rest.md names every route the app serves."""

from __future__ import annotations

from pathlib import Path

from openmemory.api import create_app
from openmemory.config import Settings

DOC = Path(__file__).parents[2] / "docs" / "rest.md"


def test_every_route_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8").replace("{id}", "{memory_id}")
    app = create_app(Settings.load(embeddings="synthetic"))
    # the OpenAPI paths, not app.routes: this FastAPI keeps included routers' routes inside _IncludedRouter entries
    paths = app.openapi()["paths"]
    assert len(paths) >= 18
    for path, operations in paths.items():
        for method in operations:
            assert f"**{method.upper()} {path}**" in text, f"{method.upper()} {path} missing from docs/rest.md"
