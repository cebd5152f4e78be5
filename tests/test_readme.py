"""The README's examples run and print what it shows (numbers and dates may differ)."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import UPSTREAM
from tests.live import live_server, local_settings

README = Path(__file__).resolve().parents[1] / "README.md"
OPM = str(Path(sys.executable).with_name("opm"))


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def _shown_output(code: str) -> list[str]:
    """The ``# ...`` lines under the prints, without the ``<- ...`` asides."""
    return [line[2:].split("<-")[0].strip() for line in code.splitlines() if line.startswith("# ")]


def _same_but_numbers(printed: str, shown: str) -> bool:
    """Word for word the same, except that any number or date may stand for another."""
    a, b = printed.split(), shown.split()
    return len(a) == len(b) and all(
        x == y or (_NUMBER.fullmatch(x) and _NUMBER.fullmatch(y)) for x, y in zip(a, b, strict=True)
    )


_NUMBER = re.compile(r"\(?-?\d[\d.:-]*\)?\.?")


def test_the_python_example_prints_what_the_readme_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (code,) = _blocks("python")
    monkeypatch.chdir(tmp_path)  # Memory("memory.sqlite") is created here
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})  # the README's own model (MiniLM), as a reader runs it
    printed = out.getvalue().splitlines()
    shown = _shown_output(code)
    assert len(printed) == len(shown), printed
    for line, expected in zip(printed, shown, strict=True):
        assert _same_but_numbers(line, expected), (line, expected)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's HTTP example uses curl")
def test_the_curl_example_adds_and_finds_a_memory(tmp_path: Path) -> None:
    (block,) = [b for b in _blocks("bash") if "curl" in b]
    with live_server(local_settings(tmp_path / "http.sqlite")) as url:
        script = block.replace("localhost:8080", url.removeprefix("http://"))
        result = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"id"' in result.stdout and "I moved to Lisbon in March" in result.stdout.split("}", 1)[1]


@pytest.mark.slow  # four opm processes, and reembed loads the model: about 20 s
def test_the_upgrade_commands_run_on_an_upstream_database(tmp_path: Path) -> None:
    (block,) = [b for b in _blocks("bash") if "opm migrate" in b]
    (tmp_path / "data").mkdir()
    shutil.copyfile(UPSTREAM / "v1.2.0-native.sqlite", tmp_path / "data" / "openmemory.sqlite")
    outputs = []
    for line in block.splitlines():
        command = line.split("#")[0].split()
        result = subprocess.run([OPM, *command[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (line, result.stdout, result.stderr)
        outputs.append(result.stdout)
    status, dry_run, migrate, _ = outputs
    assert "pending" in status and "[MIGRATE]" in migrate and "[SUCCESS] Migration completed" in migrate
    assert "ALTER TABLE" in dry_run or "CREATE" in dry_run
