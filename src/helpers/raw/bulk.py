"""Bulk tables: machine-made figures (millions of rows) beside the hand-checked facts.

Bulk tables live in ``data/raw/bulk/`` as ``*.csv`` or ``*.parquet`` (not in subfolders).  Each has
exactly these columns, in any order (a missing or an extra column is an error):

=============  ================================================================================
column         meaning
=============  ================================================================================
region_code    a Kemendagri code in dotted form (``64``, ``64.71``): a region of
               ``data/raw/regions.csv`` or of ``data/raw/bulk/regions.csv`` (see below)
metric         a metric id of ``data/raw/metrics.csv``; the value is in that metric's unit
as_of          the date the figure describes, ``YYYY-MM-DD``; a real date, not after the build
value          a number written plainly with ``.`` as decimal point and no grouping (``926654``,
               ``99.54``); not negative; at most 200 for ``percent`` metrics
=============  ================================================================================

CSV files are UTF-8 (a byte-order mark and CRLF line ends are accepted), comma-separated, header on
line 1; no blank lines.  In Parquet files ``region_code`` and ``metric`` are strings, ``as_of`` a DATE
and ``value`` any number type.  There is at most one row per (region_code, metric, as_of) over all
bulk files.  Each row's provenance is its file and ``line``: for CSV the line of the file (the first
data row is line 2), for Parquet the 1-based row number.

Extra regions (e.g. synthetic ones) go into ``data/raw/bulk/regions.csv``, with the columns of
``data/raw/regions.csv``; they are validated by the same rules and may not repeat a code of it.
That file is not a bulk table.

Validation runs in DuckDB SQL (one typed load per file, then a few cheap scans) and reports every
problem as ``file:line: field: what is wrong`` together with the rest of the raw layer, at most
:data:`MAX_REPORTED` per rule and file plus a count of the rest.

``ktpel synth`` writes a deterministic synthetic bulk table and its regions: run it in a *copy* of
the workspace (``ktpel --project COPY synth --rows 10000000``), never in the real one.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from helpers.problems import Problem
from helpers.project import Project
from helpers.raw.records import MAX_PERCENT, Metric
from helpers.raw.tables import header_problems

COLUMNS = ("region_code", "metric", "as_of", "value")
#: DuckDB types the CSV columns are read as (a value that does not fit is reported).
CSV_TYPES = {"region_code": "VARCHAR", "metric": "VARCHAR", "as_of": "DATE", "value": "DOUBLE"}
REGIONS_FILE = "regions.csv"
SUFFIXES = (".csv", ".parquet")
#: Problems shown per rule and file; the rest are counted.
MAX_REPORTED = 20
MEMORY_LIMIT = "1GB"
#: Largest key space checked for duplicates with a bitmap (2**29 bits: 64 MB per thread).
MAX_KEY_BITS = 2**29
_NUMBER_TYPES = re.compile(r"(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|"
                           r"FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\))")
_HINT = {"value": "write a plain number such as 926654 or 99.54 ('.' as decimal point, no grouping)",
         "as_of": "write a real date as YYYY-MM-DD",
         "region_code": "write a code of regions.csv", "metric": "write a metric id of metrics.csv"}

#: The rows as read (``bulk_rows``, in file order) and one row per file (``bulk_files``).  The view
#: ``bulk_facts`` (see :data:`BULK_VIEW`) adds unit, file and line: storing them per row would make the
#: load of 10 million rows twice as slow (a constant string, a join and a window per row).
BULK_SCHEMA = """
CREATE TABLE IF NOT EXISTS bulk_rows (region_code VARCHAR, metric VARCHAR, as_of DATE, value DOUBLE, file_id INTEGER);
CREATE TABLE IF NOT EXISTS bulk_files (file_id INTEGER PRIMARY KEY, file VARCHAR, format VARCHAR, first_rowid BIGINT,
  row_count BIGINT, first_line INTEGER);
"""
#: ``line``: CSV line (header = 1) or Parquet row number (1-based), from the row's position in ``bulk_rows``.
BULK_VIEW = """
CREATE VIEW bulk_facts AS
  SELECT b.region_code, b.metric, b.as_of, b.value, m.unit, f.file, (b.rowid - f.first_rowid + f.first_line)::BIGINT AS line
  FROM bulk_rows b JOIN bulk_files f USING (file_id) LEFT JOIN metrics m USING (metric);
"""


# --- where bulk tables are ---------------------------------------------------------------------------------

def bulk_dir(project: Project) -> Path:
    return project.raw / "bulk"


def regions_file(project: Project) -> Path:
    """The extra regions file (``data/raw/bulk/regions.csv``); it may not exist."""
    return bulk_dir(project) / REGIONS_FILE


def bulk_files(project: Project) -> list[Path]:
    """The bulk tables, sorted by name: ``data/raw/bulk/*.csv`` and ``*.parquet`` but ``regions.csv``."""
    folder = bulk_dir(project)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                  and not p.name.startswith(".") and p.name != REGIONS_FILE)


# --- loading -----------------------------------------------------------------------------------------------

def configure(con: duckdb.DuckDBPyConnection, spill_dir: Path) -> None:
    """Bounded memory (spilling to ``spill_dir``) and file order kept, so that line numbers are right."""
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET temp_directory = ?", [str(spill_dir)])


@dataclass
class _Loaded:
    """A bulk file in ``bulk_rows``: its name, rows and the CSV lines DuckDB rejected."""
    name: str
    rows: int
    rejected_records: list[int]  # record numbers (line - 1) of rejected lines, sorted


def _csv_header(path: Path, name: str) -> tuple[list[str] | None, list[Problem]]:
    """The header of a CSV file, read in Python (DuckDB skips it), or the problems that stop reading."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
        first = head.split(b"\n", 1)[0]
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        return None, [Problem(name, 1, "file", f"file is empty; expected a header: {','.join(COLUMNS)}")]
    try:
        text = first.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as exc:
        return None, [Problem(name, 1, "encoding", f"byte 0x{first[exc.start]:02x} is not UTF-8; save the file as UTF-8")]
    header = [h.strip() for h in next(csv.reader([text]), [])]
    return header, header_problems(header, COLUMNS, name)


def _register(con: duckdb.DuckDBPyConnection, file_id: int, name: str, fmt: str, first_line: int) -> int:
    """Record where the rows of a file are in ``bulk_rows`` (contiguous, in file order); its row count."""
    first, last, rows = con.execute("SELECT min(rowid), max(rowid), count(*) FROM bulk_rows WHERE file_id = ?",
                                    [file_id]).fetchone()  # type: ignore[misc]
    if rows and last - first + 1 != rows:  # pragma: no cover - DuckDB appends in order
        raise RuntimeError(f"rows of {name} are not contiguous in bulk_rows; line numbers would be wrong")
    con.execute("INSERT INTO bulk_files VALUES (?, ?, ?, ?, ?, ?)", [file_id, name, fmt, first or 0, rows, first_line])
    return int(rows)


def _load_csv(con: duckdb.DuckDBPyConnection, path: Path, name: str, file_id: int) -> tuple[_Loaded | None, list[Problem]]:
    header, problems = _csv_header(path, name)
    if header is None or problems:
        return None, problems
    columns = "{" + ", ".join(f"'{c}': '{CSV_TYPES[c]}'" for c in header) + "}"
    con.execute(f"""
        INSERT INTO bulk_rows
        SELECT region_code, metric, as_of, value, ?::INTEGER
        FROM read_csv(?, header = true, auto_detect = false, columns = {columns}, delim = ',', quote = '"',
                      escape = '"', store_rejects = true, rejects_table = '_bulk_rejects',
                      rejects_scan = '_bulk_scans', rejects_limit = 10000)""", [file_id, str(path)])
    rows = _register(con, file_id, name, "csv", 2)
    rejected = con.execute("""
        SELECT line, column_name, error_type::VARCHAR, csv_line, error_message FROM _bulk_rejects
        WHERE scan_id = (SELECT max(scan_id) FROM _bulk_scans) ORDER BY line, column_idx""").fetchall()
    problems += _reject_problems(rejected, name, header)
    loaded = _Loaded(name, rows, sorted({int(r[0]) - 1 for r in rejected}))
    if rows == 0 and not rejected:
        problems.append(Problem(name, 2, "file", "no data rows under the header"))
    return loaded, problems


def _reject_problems(rejected: Sequence[tuple[Any, ...]], name: str, header: Sequence[str]) -> list[Problem]:
    """Problems for the lines DuckDB could not read: wrong types, wrong field counts, bad bytes."""
    problems: list[Problem] = []
    seen: set[tuple[int, str]] = set()
    for line, column, kind, csv_line, message in rejected:
        if kind == "MISSING COLUMNS" or kind == "TOO MANY COLUMNS":
            field, what = "row", (f"{csv_line.count(',') + 1} fields, expected {len(COLUMNS)} ({','.join(COLUMNS)}); "
                                  "a ',' inside a number? write numbers with '.' as decimal point, no grouping")
        elif kind == "CAST":
            text = _field_text(csv_line, column, header)
            field, what = column, f"{text!r} is not {'a number' if column == 'value' else 'a date'}; {_HINT[column]}"
        elif kind == "INVALID ENCODING":
            field, what = "encoding", "bytes that are not UTF-8; save the file as UTF-8"
        else:
            field, what = column or "row", f"unreadable CSV ({kind.lower()}): {message}"
        if (line, kind) not in seen:
            seen.add((line, kind))
            problems.append(Problem(name, int(line), field, what))
    return _limit(problems)


def _field_text(csv_line: str, column: str, header: Sequence[str]) -> str:
    """The text of ``column`` in a raw CSV line."""
    fields = next(csv.reader([csv_line.strip("\r\n")]), [])
    i = header.index(column) if column in header else -1
    return fields[i] if 0 <= i < len(fields) else ",".join(fields)


def _load_parquet(con: duckdb.DuckDBPyConnection, path: Path, name: str, file_id: int) -> tuple[_Loaded | None, list[Problem]]:
    try:
        schema = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as exc:
        return None, [Problem(name, 1, "file", f"not a readable Parquet file: {str(exc).splitlines()[0]}")]
    types = {r[0]: r[1] for r in schema}
    problems = header_problems([r[0] for r in schema], COLUMNS, name)
    want = {"region_code": "VARCHAR", "metric": "VARCHAR", "as_of": "DATE"}
    for column, kind in types.items():
        ok = kind == want[column] if column in want else (column != "value" or bool(_NUMBER_TYPES.fullmatch(kind)))
        if not ok:
            expected = "a number type" if column == "value" else want[column]
            problems.append(Problem(name, 1, column, f"the Parquet column is {kind}; expected {expected}"))
    if problems:
        return None, problems
    con.execute("INSERT INTO bulk_rows SELECT region_code, metric, as_of, value::DOUBLE, ?::INTEGER "
                "FROM read_parquet(?)", [file_id, str(path)])
    rows = _register(con, file_id, name, "parquet", 1)
    return _Loaded(name, rows, []), [] if rows else [Problem(name, 1, "file", "no data rows")]


# --- validation --------------------------------------------------------------------------------------------

#: rule -> (field, SQL condition on a row of bulk_rows joined with the known regions, message SQL)
_RULES: list[tuple[str, str, str]] = [
    ("region_code", "b.region_code IS NULL", "'empty; ' || 'write a code of regions.csv'"),
    ("region_code", "b.region_code IS NOT NULL AND r.code IS NULL",
     "'unknown region ' || '''' || b.region_code || '''' || '; add it to regions.csv (or data/raw/bulk/regions.csv) first'"),
    ("metric", "b.metric IS NULL", "'empty; write a metric id of metrics.csv'"),
    ("metric", "b.metric IS NOT NULL AND b.unit IS NULL",
     "'unknown metric ' || '''' || b.metric || '''' || '; add it to metrics.csv first'"),
    ("as_of", "b.as_of IS NULL", "'empty; write a real date as YYYY-MM-DD'"),
    ("as_of", "b.as_of > $today",
     "strftime(b.as_of, '%Y-%m-%d') || ' is in the future (the build ran on ' || strftime($today, '%Y-%m-%d') || ')'"),
    ("value", "b.value IS NULL", "'empty; write a number'"),
    ("value", "NOT isfinite(b.value)", "b.value::VARCHAR || ' is not a number; write e.g. 926654 or 99.54'"),
    ("value", "b.value < 0", "b.value::VARCHAR || ' is negative; counts and percentages cannot be'"),
    ("value", f"b.unit = 'percent' AND b.value > {MAX_PERCENT}",
     f"b.value::VARCHAR || ' % is out of range (0 to {MAX_PERCENT})'"),
]


def _row_problems(con: duckdb.DuckDBPyConnection, today: date) -> list[tuple[str, int, str, str, int]]:
    """``(file, line, field, message, rule)`` of rows breaking a rule: one scan, an anti-join on regions."""
    where = " OR ".join(f"({cond})" for _, cond, _ in _RULES)
    checks = ", ".join(f"CASE WHEN {cond} THEN {i} END" for i, (_, cond, _) in enumerate(_RULES))
    messages = ", ".join(f"CASE WHEN {cond} THEN {msg} END" for _, cond, msg in _RULES)
    sql = f"""
        WITH bad AS (
          SELECT f.file, b.rowid - f.first_rowid + f.first_line AS line, [{checks}] AS rules, [{messages}] AS messages
          FROM (SELECT b.*, b.rowid, m.unit FROM bulk_rows b LEFT JOIN _bulk_metrics m USING (metric)) b
               LEFT JOIN _bulk_regions r ON r.code = b.region_code JOIN bulk_files f USING (file_id)
          WHERE {where}),
        flat AS (SELECT file, line, unnest(rules) AS rule, unnest(messages) AS message FROM bad)
        SELECT file, line, rule, message, count(*) OVER (PARTITION BY file, rule) AS n FROM flat
        WHERE rule IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY file, rule ORDER BY line) <= {MAX_REPORTED}
        ORDER BY file, line, rule"""
    rows = con.execute(sql.replace("$today", f"DATE '{today.isoformat()}'")).fetchall()
    return [(f, int(line), _RULES[rule][0], msg, int(n)) for f, line, rule, msg, n in rows]


def _keys_are_unique(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether no two rows of ``bulk_rows`` share (region_code, metric, as_of), in a few cheap scans.

    The regions, metrics and dates that occur are few (hundreds, tens, hundreds), so each key maps
    to a distinct integer below their product (their ranks, mixed); when that is at most
    :data:`MAX_KEY_BITS`, one bit per possible key (DuckDB's ``bitstring_agg``) counts the distinct
    keys at a fraction of the cost of a hash aggregate over millions of keys.  Otherwise, or with
    empty key fields, the distinct hashes of the keys are counted."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _bulk_key_r AS SELECT region_code, row_number() OVER (ORDER BY region_code) - 1 AS i
          FROM (SELECT DISTINCT region_code FROM bulk_rows WHERE region_code IS NOT NULL);
        CREATE OR REPLACE TEMP TABLE _bulk_key_m AS SELECT metric, row_number() OVER (ORDER BY metric) - 1 AS i
          FROM (SELECT DISTINCT metric FROM bulk_rows WHERE metric IS NOT NULL);
        CREATE OR REPLACE TEMP TABLE _bulk_key_d AS SELECT as_of, row_number() OVER (ORDER BY as_of) - 1 AS i
          FROM (SELECT DISTINCT as_of FROM bulk_rows WHERE as_of IS NOT NULL)""")
    rows, regions, metrics, dates = con.execute(
        "SELECT (SELECT count(*) FROM bulk_rows), (SELECT count(*) FROM _bulk_key_r), (SELECT count(*) FROM _bulk_key_m), "
        "(SELECT count(*) FROM _bulk_key_d)").fetchone()  # type: ignore[misc]
    space = regions * metrics * dates
    if 0 < space <= MAX_KEY_BITS:
        keyed, distinct = con.execute(f"""
            SELECT count(k), bit_count(bitstring_agg(k, 0, {space - 1})) FROM (
              SELECT ((r.i * {metrics} + m.i) * {dates} + d.i)::BIGINT AS k
              FROM bulk_rows JOIN _bulk_key_r r USING (region_code) JOIN _bulk_key_m m USING (metric)
                   JOIN _bulk_key_d d USING (as_of))""").fetchone()  # type: ignore[misc]
        if keyed == rows:
            return bool(distinct == rows)
    distinct = con.execute("SELECT count(DISTINCT hash(region_code, metric, as_of)) FROM bulk_rows").fetchone()[0]  # type: ignore[index]
    return bool(distinct == rows)


def _duplicates(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str, int, int]]:
    """``(file, line, first file, first line, count)`` of rows repeating the (region_code, metric, as_of) of
    an earlier row.  :func:`_keys_are_unique` proves there are none in the usual case; otherwise the
    repeated 64-bit hashes of the keys are candidates and exact keys confirm them."""
    if _keys_are_unique(con):
        return []
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _bulk_dup_hashes AS
        SELECT hash(region_code, metric, as_of) AS h FROM bulk_rows GROUP BY h HAVING count(*) > 1""")
    return [(f, int(line), ff, int(fl), int(n)) for f, line, ff, fl, n in con.execute(f"""
        WITH c AS (
          SELECT f.file, b.rowid - f.first_rowid + f.first_line AS line, b.region_code, b.metric, b.as_of
          FROM bulk_rows b JOIN bulk_files f USING (file_id)
          WHERE hash(b.region_code, b.metric, b.as_of) IN (SELECT h FROM _bulk_dup_hashes)),
        ranked AS (
          SELECT *, first_value(file) OVER w AS first_file, first_value(line) OVER w AS first_line,
                 row_number() OVER w AS k
          FROM c WINDOW w AS (PARTITION BY region_code, metric, as_of ORDER BY file, line))
        SELECT file, line, first_file, first_line, count(*) OVER () AS n FROM ranked WHERE k > 1
        ORDER BY file, line LIMIT {MAX_REPORTED}""").fetchall()]


def _true_line(line: int, rejected_records: list[int]) -> int:
    """The file line of a loaded CSV row numbered ``line`` among the loaded rows, when DuckDB skipped
    (rejected) some records before it: the k-th loaded record is the k-th record not rejected."""
    k = line - 1
    lo, hi = k, k + len(rejected_records)
    while lo < hi:  # smallest record index r with r - (rejected records <= r) == k
        mid = (lo + hi) // 2
        if mid - bisect_right(rejected_records, mid) < k:
            lo = mid + 1
        else:
            hi = mid
    return lo + 1


def validate(con: duckdb.DuckDBPyConnection, loaded: Sequence[_Loaded], today: date) -> list[Problem]:
    """Problems of the rows in ``bulk_rows`` (needs the temp tables made by :func:`load`)."""
    skips = {x.name: x.rejected_records for x in loaded}

    def line_of(file: str, line: int) -> int:
        return _true_line(line, skips[file]) if skips.get(file) else line

    problems: list[Problem] = []
    rows = _row_problems(con, today)
    shown: dict[tuple[str, str, int], int] = {}
    for file, line, field, message, n in rows:
        problems.append(Problem(file, line_of(file, line), field, message))
        shown[(file, field, n)] = shown.get((file, field, n), 0) + 1
    for (file, field, n), count in shown.items():
        if n > count:
            problems.append(Problem(file, 0, field, f"... and {n - count} more row(s) like the ones above"))
    dups = _duplicates(con)
    for file, line, first_file, first_line, _ in dups:
        where = f"line {line_of(first_file, first_line)}" + ("" if first_file == file else f" of {first_file}")
        problems.append(Problem(file, line_of(file, line), "metric",
                                f"duplicate row: same region_code, metric and as_of as {where}"))
    if dups and dups[0][4] > len(dups):
        problems.append(Problem(dups[0][0], 0, "metric", f"... and {dups[0][4] - len(dups)} more duplicate row(s)"))
    return problems


def _limit(problems: list[Problem]) -> list[Problem]:
    """At most :data:`MAX_REPORTED` problems per field, then one saying how many more there are."""
    kept: list[Problem] = []
    rest: dict[tuple[str, str], int] = {}
    for p in problems:
        if sum(1 for k in kept if (k.file, k.field) == (p.file, p.field)) < MAX_REPORTED:
            kept.append(p)
        else:
            rest[(p.file, p.field)] = rest.get((p.file, p.field), 0) + 1
    kept += [Problem(f, 0, field, f"... and {n} more problem(s) like the ones above") for (f, field), n in rest.items()]
    return kept


def load(con: duckdb.DuckDBPyConnection, project: Project, regions: Iterable[str], metrics: dict[str, Metric],
         today: date | None = None) -> tuple[int, list[Problem]]:
    """Create ``bulk_rows`` and ``bulk_files`` in ``con`` from every bulk table, then validate them in SQL.

    Returns the number of rows and the problems (the table is only meaningful without problems).
    ``con`` should be :func:`configure`-d."""
    today = today or date.today()
    con.execute(BULK_SCHEMA)
    con.execute("CREATE OR REPLACE TEMP TABLE _bulk_regions (code VARCHAR PRIMARY KEY)")
    con.execute("INSERT INTO _bulk_regions SELECT unnest(?::VARCHAR[])", [list(regions)])
    con.execute("CREATE OR REPLACE TEMP TABLE _bulk_metrics (metric VARCHAR PRIMARY KEY, unit VARCHAR)")
    con.execute("INSERT INTO _bulk_metrics SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                [[m.metric for m in metrics.values()], [m.unit for m in metrics.values()]])
    problems: list[Problem] = []
    loaded: list[_Loaded] = []
    for file_id, path in enumerate(bulk_files(project)):
        name = project.rel(path)
        if path.suffix.lower() == ".csv":
            done, p = _load_csv(con, path, name, file_id)
        else:
            done, p = _load_parquet(con, path, name, file_id)
        problems += p
        if done is not None:
            loaded.append(done)
    total = sum(x.rows for x in loaded)
    if total:
        problems += validate(con, loaded, today)
    return total, problems


def check(project: Project, regions: Iterable[str], metrics: dict[str, Metric],
          today: date | None = None) -> list[Problem]:
    """Validate the bulk tables in a throw-away database outside the project (``ktpel check``)."""
    if not bulk_files(project):
        return []
    with tempfile.TemporaryDirectory(prefix="ktpel-bulk-") as tmp:
        con = duckdb.connect(str(Path(tmp) / "check.duckdb"))
        try:
            configure(con, Path(tmp) / "spill")
            return load(con, project, regions, metrics, today)[1]
        finally:
            con.close()


def remove_spill(spill_dir: Path) -> None:
    shutil.rmtree(spill_dir, ignore_errors=True)
