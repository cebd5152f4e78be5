"""Fixtures shared by every test directory: upstream database copies and a settings factory."""

from __future__ import annotations

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


@pytest.fixture
def upstream_copy(tmp_path: Path) -> Callable[[str], Path]:
    """Copy an upstream fixture database into tmp_path (writable) and return its path."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copyfile(UPSTREAM / name, target)
        target.chmod(0o644)
        return target

    return copy
