"""Every docstring example in the package runs, and prints what it says it prints."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

import openmemory
from openmemory.config import Settings
from openmemory.memory import Memory
from tests.live import KEYS, keyed_settings, live_server


def _modules_with_examples() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(openmemory.__path__, "openmemory.")]
    finder = doctest.DocTestFinder()
    return [name for name in names if any(t.examples for t in finder.find(importlib.import_module(name)))]


def _names_for(module: str, stack: ExitStack, tmp_path: Path) -> dict[str, Any]:
    """What an example takes as given: ``mem`` (a Memory), or ``url`` and ``key`` of a running server."""
    if module == "openmemory.client.sync":
        db = tmp_path / "server.sqlite"
        return {"url": stack.enter_context(live_server(keyed_settings(db))), "key": KEYS["alice"]}
    settings = Settings.load(embeddings="synthetic", db_path=tmp_path / "given.sqlite")
    return {"mem": stack.enter_context(Memory(settings=settings))}


@pytest.mark.parametrize("module", _modules_with_examples())
def test_docstring_examples_run(module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples may create files (Memory("memory.sqlite"))
    monkeypatch.setenv("OM_EMBEDDINGS", "synthetic")  # the examples show the API, not the model: keep them cheap
    with ExitStack() as stack:
        result = doctest.testmod(
            importlib.import_module(module),
            extraglobs=_names_for(module, stack, tmp_path),
            optionflags=doctest.ELLIPSIS,
            report=False,
        )
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {module} failed (see stdout)"
