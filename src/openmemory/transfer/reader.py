"""Reading an ``openmemory-jsonl`` file: a full check first (format, version, every record, the end line), then
the records one by one. Nothing is imported from a file that fails the check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openmemory.errors import SourceFormatError
from openmemory.transfer.format import (
    FORMAT,
    KINDS,
    Header,
    Line,
    line_to_edge,
    line_to_fact,
    line_to_stored,
    line_to_user,
    parse_header,
    parse_line,
)


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file that passed the check: its header and how many records of each kind it holds."""

    path: Path
    header: Header
    counts: dict[str, int]


def check_file(path: Path) -> CheckedFile:
    """Read the whole file once; raise SourceFormatError naming the line and field of the first problem."""
    counts = dict.fromkeys(KINDS, 0)
    header: Header | None = None
    end: Line | None = None
    for number, text in _lines(path):
        where = f"{path} line {number}"
        if header is None:
            header = parse_header(text, str(path))
            continue
        if end is not None:
            raise SourceFormatError(f"{where}: records after the end line")
        line = parse_line(text, where)
        kind = str(line["kind"])
        if kind == "end":
            end = line
            continue
        _check_record(line, kind, header, where)
        counts[kind] += 1
    if header is None:
        raise SourceFormatError(f"{path} is empty; expected an {FORMAT} header line")
    if end is None:
        raise SourceFormatError(f"{path} ends before its end line: the file is truncated (export it again)")
    declared = end.get("counts")
    if not isinstance(declared, dict) or any(declared.get(k, 0) != n for k, n in counts.items()):
        raise SourceFormatError(f"{path}: the end line counts {declared} but the file holds {counts}; truncated?")
    return CheckedFile(path, header, counts)


def records(checked: CheckedFile) -> Iterator[tuple[str, Line]]:
    """(kind, line) of every record after the header, up to the end line."""
    first = True
    for number, text in _lines(checked.path):
        if first:
            first = False
            continue
        line = parse_line(text, f"{checked.path} line {number}")
        kind = str(line["kind"])
        if kind == "end":
            return
        yield kind, line


def _check_record(line: Line, kind: str, header: Header, where: str) -> None:
    try:
        if kind == "user":
            line_to_user(line)
        elif kind == "memory":
            line_to_stored(line, with_vectors=header.with_vectors)
        elif kind == "fact":
            line_to_fact(line)
        else:
            line_to_edge(line)
    except KeyError as exc:
        raise SourceFormatError(f"{where}: {kind} record has no field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise SourceFormatError(f"{where}: {kind} record is malformed ({exc})") from None


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line; split on ``\\n`` only, decoded as UTF-8."""
    try:
        with path.open("rb") as f:
            for number, raw in enumerate(f, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise SourceFormatError(f"{path} line {number} is not UTF-8 (byte {exc.start})") from None
                if text.strip():
                    yield number, text
    except OSError as exc:
        raise SourceFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
