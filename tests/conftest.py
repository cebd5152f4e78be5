"""Fixtures shared by every test directory: a clean OM_* environment, and upstream database copies."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
UPSTREAM = FIXTURES / "upstream"
UPSTREAM_FILES = (
    "v1.1.1.sqlite",
    "v1.2.0-migrated-by-upstream.sqlite",
    "v1.2.0-native.sqlite",
    "v1.2.2-native.sqlite",
    "v1.3.0-native.sqlite",
)
TEMPORAL_FILES = ("v1.2.2-native.sqlite", "v1.3.0-native.sqlite")  # upstream temporal tables, 16 facts each


@pytest.fixture(autouse=True)
def _no_om_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with no OM_* variable (Settings reads them), whatever the shell exported.

    OM_TEST_* name the test databases (tests/store/pg.py) and are not settings, so they stay.
    """
    for name in list(os.environ):
        if name.startswith("OM_") and not name.startswith("OM_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture
def upstream_copy(tmp_path: Path) -> Callable[[str], Path]:
    """Copy an upstream fixture database into tmp_path (writable) and return its path."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copyfile(UPSTREAM / name, target)
        target.chmod(0o644)
        return target

    return copy
