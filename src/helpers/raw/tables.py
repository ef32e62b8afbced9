"""Read the hand-edited CSV files of the raw layer strictly but kindly.

Accepted: UTF-8 with or without a byte-order mark, LF or CRLF line ends,
spaces around fields.  Refused with ``file:line: field: ...``: other encodings,
an empty file, a missing or extra column, a row with the wrong number of fields.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

from helpers.problems import Problem

Row = dict[str, str]

#: Control characters (but tab and line ends) and the invisible bidirectional overrides: they break charts
#: (vl-convert panics on U+0001) and can make a text read differently from what it holds.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def control_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored: the first control character in it, named by its code point."""
    m = _CONTROL.search(text)
    if m is None:
        return None
    return f"control character U+{ord(m.group(0)):04X} at position {m.start() + 1}; remove it"


def header_problems(header: Sequence[str], columns: Sequence[str], name: str,
                    optional: frozenset[str] = frozenset()) -> list[Problem]:
    """Problems of a header (line 1 of ``name``) that must hold ``columns``, in any order, each once;
    those in ``optional`` may be absent."""
    problems = []
    missing = [c for c in columns if c not in header and c not in optional]
    extra = [h for h in header if h not in columns]
    if missing:
        problems.append(Problem(name, 1, "header", f"missing column(s): {', '.join(missing)}; expected {','.join(columns)}"))
    if extra:
        problems.append(Problem(name, 1, "header", f"unknown column(s): {', '.join(extra)}; expected {','.join(columns)}"))
    if len(set(header)) != len(header):
        problems.append(Problem(name, 1, "header", "a column name appears twice"))
    return problems


def read_rows(path: Path, name: str, columns: list[str], optional: frozenset[str] = frozenset()
              ) -> tuple[list[tuple[int, Row]], list[Problem]]:
    """Rows of ``path`` as ``(line number, {column: stripped text})``.

    ``name`` is how the file is named in messages (repo-relative).  Columns in
    ``optional`` may be absent from the header; they then read as "".
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], [Problem(name, 0, "file", "file is missing")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [Problem(name, line, "encoding",
                            f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8")]
    if not text.strip():
        return [], [Problem(name, 1, "file", f"file is empty; expected a header: {','.join(columns)}")]

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        return [], [Problem(name, 1, "header", f"unreadable CSV: {exc}")]
    problems = header_problems(header, columns, name, optional)
    if problems:
        return [], problems

    rows: list[tuple[int, Row]] = []
    line = reader.line_num + 1
    try:
        for fields in reader:
            if not any(f.strip() for f in fields):
                line = reader.line_num + 1
                continue
            if len(fields) != len(header):
                problems.append(Problem(name, line, "row",
                                        f"{len(fields)} fields, expected {len(header)} ({','.join(header)})"))
            else:
                row = {h: f.strip() for h, f in zip(header, fields)}
                problems += [Problem(name, line, h, m) for h, f in row.items() if (m := control_problem(f))]
                rows.append((line, {c: row.get(c, "") for c in columns}))
            line = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(name, reader.line_num, "row", f"unreadable CSV: {exc}"))
    return rows, problems
