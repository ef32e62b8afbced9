"""Immutable DuckDB snapshots of the validated raw layer.

``build`` validates the raw layer, writes ``data/processed/snapshots/<id>.duckdb``
under a temporary name and renames it into place atomically; the id is a hash
of the inputs, so an unchanged raw layer builds nothing new.  The catalog
(``data/processed/catalog.json``) lists complete snapshots; ``resolve`` turns
"latest" or an id (or a unique prefix of one) into a file; ``connect`` opens it
read-only, so any number of readers can use it while a build runs.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import xxhash
from filelock import FileLock

from helpers import atomic
from helpers.codehash import package_digest
from helpers.problems import StorageError, ValidationFailed
from helpers.project import Project
from helpers.raw import bulk
from helpers.raw.facts import Fact, RawLayer, collect_raw_layer
from helpers.snapshot.catalog import (
    SnapshotNotFound,
    catalog_status,
    connect,
    iter_catalog_lines,
    read_catalog,
    refresh_catalog,
    resolve,
    snapshot_is_sound,
)
from helpers.snapshot.derive import Comparison, Derived, compare, derive

__all__ = ["BuildResult", "SnapshotNotFound", "build", "catalog_status", "connect", "diff", "input_hash",
           "iter_catalog_lines", "read_catalog", "resolve"]

#: Bump when the tables written below change shape or meaning: it is part of the snapshot id.
SCHEMA_VERSION = "3"  # 2: bulk tables and the observations view; 3: region aliases


@dataclass(frozen=True)
class BuildResult:
    snapshot_id: str
    path: Path
    created: bool
    counts: dict[str, int]


#: Files at least this large are digested with XXH3-128 (eight times faster than sha256 here; this
#: hash detects changes, it does not defend against forgery): bulk tables of gigabytes.
FAST_DIGEST_BYTES = 16 * 2**20


def _file_digest(path: Path) -> str:
    with open(path, "rb") as fh:  # streamed: bulk tables may be gigabytes
        if os.fstat(fh.fileno()).st_size < FAST_DIGEST_BYTES:
            return hashlib.file_digest(fh, "sha256").hexdigest()
        h = xxhash.xxh3_128()
        while chunk := fh.read(1 << 20):
            h.update(chunk)
        return "xxh3:" + h.hexdigest()


def input_hash(project: Project) -> str:
    """sha256 over every file of the raw layer (path and digest of its bytes), the schema version and the code
    that turns the raw layer into a snapshot (``helpers/raw`` and ``helpers/snapshot``): a change to a
    validation or derivation rule makes a new snapshot, never a different file under an old id."""
    h = hashlib.sha256(f"schema {SCHEMA_VERSION}\n".encode())
    h.update(package_digest(("raw", "snapshot")).encode())
    # facts.proposed.csv (`ktpel propose --add`) awaits review: not an input until `ktpel accept` moves it
    for path in sorted(p for p in project.raw.rglob("*")
                       if p.is_file() and not p.name.startswith(".") and p.name != "facts.proposed.csv"):
        h.update(project.rel(path).encode() + b"\0" + _file_digest(path).encode() + b"\n")
    return h.hexdigest()


def fact_key(source_id: str, region_code: str, metric: str, as_of: str, kind: str) -> str:
    """A stable id for a fact: the same figure has the same id in every snapshot."""
    return "f" + hashlib.sha256(f"{source_id}|{region_code}|{metric}|{as_of}|{kind}".encode()).hexdigest()[:12]


def _fact_row(f: Fact, kind: str, formula: str | None, inputs: list[str]) -> tuple[Any, ...]:
    return (fact_key(f.source_id, f.region_code, f.metric, f.as_of_text, kind), kind, f.source_id, f.region_code,
            f.metric, float(f.value), f.decimals, f.unit, f.qualifier, f.as_of.end, f.as_of.start, f.as_of.end,
            f.as_of_text or None, f.as_of.precision, f.quote or None, f.note or None, formula, inputs,
            "data/raw/facts.csv" if kind == "stated" else None, f.line or None)


SCHEMA = """
CREATE TABLE snapshot (snapshot_id VARCHAR, created_at VARCHAR, input_hash VARCHAR, schema_version VARCHAR,
  fact_count INTEGER, derived_count INTEGER, source_count INTEGER, region_count INTEGER, disagreement_count INTEGER);
CREATE TABLE sources (source_id VARCHAR PRIMARY KEY, title VARCHAR, publisher VARCHAR, place VARCHAR,
  published_on VARCHAR, published_precision VARCHAR, published_start DATE, published_end DATE,
  published_not_before DATE, published_not_after DATE, date_note VARCHAR, file VARCHAR, original_file VARCHAR,
  sha256 VARCHAR, language VARCHAR, notes VARCHAR, text VARCHAR);
CREATE TABLE regions (region_code VARCHAR PRIMARY KEY, name VARCHAR, level VARCHAR, parent_code VARCHAR, note VARCHAR,
                      aliases VARCHAR[]);
CREATE TABLE metrics (metric VARCHAR PRIMARY KEY, unit VARCHAR, label_id VARCHAR, label_en VARCHAR, definition VARCHAR);
CREATE TABLE targets (metric VARCHAR, region_code VARCHAR, year INTEGER, year_is_estimate BOOLEAN, value DOUBLE,
  unit VARCHAR, source_id VARCHAR, quote VARCHAR, note VARCHAR, raw_line INTEGER);
CREATE TABLE facts (fact_id VARCHAR PRIMARY KEY, kind VARCHAR, source_id VARCHAR, region_code VARCHAR, metric VARCHAR,
  value DOUBLE, decimals INTEGER, unit VARCHAR, qualifier VARCHAR, as_of DATE, as_of_start DATE, as_of_end DATE,
  as_of_text VARCHAR, as_of_precision VARCHAR, quote VARCHAR, note VARCHAR, formula VARCHAR, input_fact_ids VARCHAR[],
  raw_file VARCHAR, raw_line INTEGER);
CREATE TABLE consistency (source_id VARCHAR, region_code VARCHAR, metric VARCHAR, stated_fact_id VARCHAR,
  derived_fact_id VARCHAR, stated_value DOUBLE, derived_value DOUBLE, difference DOUBLE, tolerance DOUBLE,
  agrees BOOLEAN, formula VARCHAR);
CREATE VIEW facts_labeled AS
  SELECT f.region_code, r.name AS region_name, r.level AS region_level, f.metric, m.label_id AS metric_label_id,
         m.label_en AS metric_label_en, f.value, f.decimals, f.unit, f.qualifier, f.as_of, f.as_of_text,
         f.as_of_precision, f.kind, f.formula, f.source_id, s.title AS source_title, s.publisher AS source_publisher,
         s.published_on AS source_published_on, s.published_precision AS source_published_precision,
         s.published_not_before AS source_published_not_before,
         s.published_not_after AS source_published_not_after, f.quote, f.note, f.fact_id
  FROM facts f JOIN regions r USING (region_code) JOIN metrics m USING (metric) JOIN sources s USING (source_id);
CREATE VIEW disagreements AS SELECT * FROM consistency WHERE NOT agrees;
CREATE VIEW latest_facts AS
  SELECT * FROM facts_labeled WHERE kind = 'stated' AND as_of IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY region_code, metric ORDER BY as_of DESC, source_id) = 1;
"""


#: Every stated and derived fact and every bulk row, with their common columns.
OBSERVATIONS_VIEW = """
CREATE VIEW observations AS
  SELECT region_code, metric, value, unit, as_of, kind, source_id, quote, 'fact' AS origin, raw_file AS file,
         raw_line::BIGINT AS line FROM facts
  UNION ALL
  SELECT region_code, metric, value, unit, as_of, 'stated', NULL::VARCHAR, NULL::VARCHAR, 'bulk', file, line
  FROM bulk_facts;
"""


def _write(path: Path, snapshot_id: str, digest: str, raw: RawLayer, derived: list[Derived],
           comparisons: list[Comparison], project: Project | None = None) -> dict[str, int]:
    """Write the snapshot to ``path``: first the bulk tables (loaded and validated in SQL; raises
    :class:`ValidationFailed` on a problem), then the rest in one transaction."""
    counts = {"facts": len(raw.facts), "derived": len(derived), "sources": len(raw.sources),
              "regions": len(raw.regions), "disagreements": sum(not c.agrees for c in comparisons)}
    con = duckdb.connect(str(path))
    try:
        bulk.configure(con, _spill_dir(path))
        if project is not None:
            counts["bulk"], problems = bulk.load(con, project, raw.regions, raw.metrics)
            if problems:
                raise ValidationFailed(problems)
        con.execute(bulk.BULK_SCHEMA)
        con.execute("BEGIN")
        con.execute(SCHEMA)
        con.execute(bulk.BULK_VIEW)
        con.execute(OBSERVATIONS_VIEW)
        con.execute("INSERT INTO snapshot VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [snapshot_id, datetime.now(UTC).isoformat(timespec="seconds"), digest, SCHEMA_VERSION, counts["facts"],
                     counts["derived"], counts["sources"], counts["regions"], counts["disagreements"]])
        _insert(con, "sources", [
            (s.id, s.title, s.publisher, s.place, s.published_on, s.published.precision, s.published.start,
             s.published.end, s.published_not_before, s.published_not_after, s.date_note, s.file, s.original_file,
             s.sha256, s.language, s.notes, s.text) for s in raw.sources.values()])
        _insert(con, "regions", [
            (r.code, r.name, r.level, r.parent_code, r.note or None, list(r.aliases)) for r in raw.regions.values()])
        _insert(con, "metrics", [
            (m.metric, m.unit, m.label_id, m.label_en, m.definition) for m in raw.metrics.values()])
        _insert(con, "targets", [
            (t.metric, t.region_code, t.year, t.year_is_estimate, float(t.value), t.unit, t.source_id, t.quote,
             t.note or None, t.line) for t in raw.targets])
        rows = [_fact_row(f, "stated", None, []) for f in raw.facts]
        rows += [_fact_row(d.fact, "derived", d.formula,
                           [fact_key(i.source_id, i.region_code, i.metric, i.as_of_text,
                                     "stated" if i.line else "derived") for i in d.inputs]) for d in derived]
        _insert(con, "facts", rows)
        _insert(con, "consistency", [
            (c.stated.source_id, c.stated.region_code, c.stated.metric,
             fact_key(c.stated.source_id, c.stated.region_code, c.stated.metric, c.stated.as_of_text, "stated"),
             fact_key(c.derived.fact.source_id, c.derived.fact.region_code, c.derived.fact.metric,
                      c.derived.fact.as_of_text, "derived"),
             float(c.stated.value), float(c.derived.fact.value), float(c.difference), float(c.tolerance), c.agrees,
             c.derived.formula) for c in comparisons])
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Append ``rows`` to ``table`` in one statement, each column passed as one list of the column's type and
    unnested (``executemany`` runs the statement once per row: 0.5 s for the kabupaten/kota of regions.csv)."""
    if not rows:
        return
    types = [t for (t,) in con.execute("SELECT data_type FROM information_schema.columns WHERE table_name = ? "
                                       "ORDER BY ordinal_position", [table]).fetchall()]
    con.execute(f"INSERT INTO {table} SELECT " + ", ".join(f"unnest(?::{t}[])" for t in types),
                [list(column) for column in zip(*rows)])


def _spill_dir(path: Path) -> Path:
    """Where DuckDB may spill while writing ``path`` (removed after the build)."""
    return path.with_name(path.name + ".spill")


def _lock(project: Project) -> FileLock:
    project.snapshots_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(project.processed / ".build.lock"))


def _leftovers(project: Project) -> list[Path]:
    return [*project.snapshots_dir.glob(f"{atomic.TMP_PREFIX}*"), *project.processed.glob(f"{atomic.TMP_PREFIX}*")]


def _clean_leftovers(project: Project) -> None:
    """Remove temporary files of builds that died (we hold the build lock, so none is running)."""
    for path in project.snapshots_dir.glob(f"{atomic.TMP_PREFIX}*"):
        if path.is_dir():
            bulk.remove_spill(path)
        else:
            path.unlink(missing_ok=True)
    for path in project.processed.glob(f"{atomic.TMP_PREFIX}*"):
        path.unlink(missing_ok=True)


def build(project: Project) -> BuildResult:
    """Validate the raw layer and write its snapshot, unless a sound one with the same inputs exists.

    Raises :class:`helpers.problems.ValidationFailed` (writing nothing) on any problem, and
    :class:`helpers.problems.StorageError` when a file cannot be written (read-only, disk full): the previous
    snapshots and catalog stay as they were.  The rows of the bulk tables are validated while they are loaded
    into the new snapshot (under the lock); an existing snapshot of the same inputs was validated when it was
    built.  A snapshot file that is damaged (truncated, or not the snapshot its name says) is built again."""
    raw, problems = collect_raw_layer(project)
    if problems:
        raise ValidationFailed(problems + bulk.check(project, raw.regions, raw.metrics))
    digest = input_hash(project)
    snapshot_id = digest[:12]
    final = project.snapshots_dir / f"{snapshot_id}.duckdb"
    entries, catalog_problem = catalog_status(project)
    if not catalog_problem and entries and entries[-1]["snapshot_id"] == snapshot_id \
            and snapshot_is_sound(final, entries[-1]) and not _leftovers(project):
        return BuildResult(snapshot_id, final, False, entries[-1]["counts"])  # nothing to write: no lock needed
    try:
        with _lock(project):
            _clean_leftovers(project)
            created = not final.exists() or not snapshot_is_sound(final)
            if created:
                _write_snapshot(project, final, snapshot_id, digest, raw)
            entries = refresh_catalog(project, touch=snapshot_id)
    except OSError as exc:
        raise StorageError(f"cannot write {project.rel(Path(exc.filename)) if exc.filename else project.rel(project.processed)}"
                           f": {exc.strerror or exc}; the previous snapshots and catalog are unchanged") from None
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0].replace(str(project.root), ".")
        raise StorageError(f"cannot write the snapshot in {project.rel(project.snapshots_dir)}: {reason}; the previous "
                           "snapshots and catalog are unchanged") from None
    counts = next(e["counts"] for e in entries if e["snapshot_id"] == snapshot_id)
    return BuildResult(snapshot_id, final, created, counts)


def _write_snapshot(project: Project, final: Path, snapshot_id: str, digest: str, raw: RawLayer) -> None:
    """Write the snapshot under a temporary name and rename it over ``final`` (a damaged file of that name too)."""
    derived = derive(raw.facts, raw.targets)
    tmp = atomic.tmp_path(project.snapshots_dir / f"{snapshot_id}.duckdb")
    try:
        _write(tmp, snapshot_id, digest, raw, derived, compare(raw.facts, derived), project)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        atomic.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        bulk.remove_spill(_spill_dir(tmp))


DIFF_KEY = ("source_id", "region_code", "metric", "as_of_text", "kind")


def diff(project: Project, a: str, b: str) -> list[dict[str, Any]]:
    """Facts added, removed and changed (value, quote, qualifier, unit) from snapshot ``a`` to ``b``."""
    _, path_a = resolve(project, a)
    _, path_b = resolve(project, b)
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS a (READ_ONLY)", [str(path_a)])
        con.execute("ATTACH ? AS b (READ_ONLY)", [str(path_b)])
        rows = con.execute("""
            SELECT CASE WHEN a.fact_id IS NULL THEN 'added' WHEN b.fact_id IS NULL THEN 'removed' ELSE 'changed' END
                     AS change,
                   coalesce(b.source_id, a.source_id) AS source_id, coalesce(b.region_code, a.region_code) AS region_code,
                   coalesce(b.metric, a.metric) AS metric, coalesce(b.as_of_text, a.as_of_text) AS as_of,
                   coalesce(b.kind, a.kind) AS kind, a.value AS old_value, b.value AS new_value,
                   a.quote AS old_quote, b.quote AS new_quote
            FROM a.facts a FULL OUTER JOIN b.facts b ON a.fact_id = b.fact_id
            WHERE a.fact_id IS NULL OR b.fact_id IS NULL OR a.value IS DISTINCT FROM b.value
               OR a.quote IS DISTINCT FROM b.quote OR a.qualifier IS DISTINCT FROM b.qualifier
               OR a.unit IS DISTINCT FROM b.unit
            ORDER BY change, source_id, region_code, metric, as_of, kind""").fetchall()
        cols = [d[0] for d in con.description]
    finally:
        con.close()
    return [dict(zip(cols, r)) for r in rows]
