"""Small real file systems for fault tests: a tmpfs that fills up, an ext4 loop file the kernel can remount read-only.

Mounting needs root (CI runs as root); where the kernel or container refuses, the test is skipped with the
reason. Every mount is undone when its block ends, lazily if a file is still open.
"""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(args: list[str], what: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        pytest.skip(f"cannot mount {what} here ({done.stderr.strip() or done.returncode}); these tests need root")


def _unmount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


@contextmanager
def tmpfs(where: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` at ``where``."""
    where.mkdir(parents=True, exist_ok=True)
    _mount(["-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)], "a tmpfs")
    try:
        yield where
    finally:
        _unmount(where)


@contextmanager
def read_only_view(source: Path, where: Path) -> Iterator[Path]:
    """``source`` bind-mounted read-only at ``where``."""
    where.mkdir(parents=True, exist_ok=True)
    _mount(["--bind", "-o", "ro", str(source), str(where)], "a read-only bind mount")
    try:
        yield where
    finally:
        _unmount(where)


@contextmanager
def ext4_loop(where: Path, size_mb: int) -> Iterator[Path]:
    """An ext4 file system in a loop file, mounted at ``where`` with ``errors=remount-ro``."""
    image = where.with_name(where.name + ".img")
    with image.open("wb") as fh:
        fh.truncate(size_mb * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True, timeout=60)
    where.mkdir(parents=True, exist_ok=True)
    _mount(["-o", "loop,errors=remount-ro", str(image), str(where)], "an ext4 loop file")
    try:
        yield where
    finally:
        _unmount(where)
        image.unlink(missing_ok=True)


def fail_disk(mount_point: Path) -> None:
    """Make ext4 report an error on the file system at ``mount_point``: the kernel remounts it read-only,
    as it does on a real disk fault."""
    source = subprocess.run(
        ["findmnt", "-n", "-o", "SOURCE", str(mount_point)], capture_output=True, text=True, check=True
    ).stdout.strip()
    trigger = Path("/sys/fs/ext4") / Path(source).name / "trigger_fs_error"
    if not trigger.exists():
        pytest.skip(f"this kernel has no {trigger} to simulate a disk error")
    trigger.write_text("openmemory fault test\n")


def fill(path: Path) -> int:
    """Write zeros to ``path`` until its file system is full; returns the bytes written."""
    written = 0
    block = b"\0" * 65536
    with path.open("wb", buffering=0) as fh:
        while True:
            try:
                written += fh.write(block)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                block = block[: len(block) // 2]  # fill the last pages too
                if not block:
                    return written
