"""The public API is what `openmemory.__all__` lists: sorted, complete, and importable without side effects."""

from __future__ import annotations

import subprocess
import sys

import openmemory


def test_all_is_sorted_and_every_name_exists() -> None:
    assert list(openmemory.__all__) == sorted(openmemory.__all__)
    for name in openmemory.__all__:
        assert hasattr(openmemory, name), name


def test_the_readme_names_are_public() -> None:
    assert {"Memory", "Settings", "NotFound", "InvalidInput", "Hit", "MemoryRecord"} <= set(openmemory.__all__)


def test_importing_the_package_reads_no_environment_and_loads_no_model() -> None:
    code = (
        "import os, sys; os.environ['OM_PORT'] = 'not-a-port'; import openmemory; "
        "assert 'onnxruntime' not in sys.modules and 'uvicorn' not in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr
