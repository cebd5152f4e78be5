"""The public API is what `openmemory.__all__` lists: sorted, complete, and importable without side effects."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from types import ModuleType

import openmemory
from openmemory import errors
from openmemory.memory import Memory


def test_all_is_sorted_and_every_name_exists() -> None:
    assert list(openmemory.__all__) == sorted(openmemory.__all__)
    for name in openmemory.__all__:
        assert hasattr(openmemory, name), name


def test_all_is_complete_every_public_name_of_the_package_is_listed() -> None:
    bound = {name for name, value in vars(openmemory).items() if not name.startswith("_")}
    bound -= {name for name, value in vars(openmemory).items() if isinstance(value, ModuleType)}
    assert bound == set(openmemory.__all__)


def test_every_error_openmemory_raises_is_public() -> None:
    raised = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.OpenMemoryError)
    }
    assert raised <= set(openmemory.__all__), raised - set(openmemory.__all__)


def test_every_type_in_a_memory_signature_is_public() -> None:
    def our_classes(hint: object) -> set[type]:
        found = {hint} if isinstance(hint, type) and hint.__module__.startswith("openmemory") else set()
        for arg in typing.get_args(hint):
            found |= our_classes(arg)
        return found

    used: set[type] = set()
    for name, member in inspect.getmembers(Memory):
        function = member.fget if isinstance(member, property) else member
        if not name.startswith("_") and callable(function):
            for hint in typing.get_type_hints(function).values():
                used |= our_classes(hint)
    assert {c.__name__ for c in used} <= set(openmemory.__all__)


def test_the_readme_names_are_public() -> None:
    assert {"Memory", "Settings", "NotFound", "InvalidInput", "Hit", "MemoryRecord"} <= set(openmemory.__all__)


def test_importing_the_package_reads_no_environment_and_loads_no_model() -> None:
    code = (
        "import os, sys; os.environ['OM_PORT'] = 'not-a-port'; import openmemory; "
        "assert 'onnxruntime' not in sys.modules and 'uvicorn' not in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr
