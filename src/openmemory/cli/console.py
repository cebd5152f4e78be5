"""What every ``opm`` command shares: settings from flags and environment, and one way to fail."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

from openmemory.config import Settings
from openmemory.errors import OpenMemoryError

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one ``error:`` line to stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def handles_errors(func: F) -> F:
    """Turn OpenMemory errors raised by a command into one stderr line and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OpenMemoryError as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with command-line overrides that were actually given."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings.load(**given)
    except OpenMemoryError as exc:
        raise fail(str(exc)) from None


def is_terminal() -> bool:
    return sys.stdout.isatty()
