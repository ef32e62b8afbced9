"""The catalog of snapshots (``data/processed/catalog.json``) and how a name turns into a file.

The catalog is a cache of what the snapshot files say about themselves, in the order they were built.  It is
never trusted blindly: an entry must have a well-formed id (12 hex digits), its file must be
``snapshots/<id>.duckdb``, and a file whose size differs from the one recorded is damaged.  A catalog that
is missing, truncated, not JSON, or has an entry without its keys is rebuilt from the snapshot files (by the
next build; readers rebuild it in memory).  A snapshot listed but deleted is reported, never silently
replaced by an older one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from helpers import atomic
from helpers.project import Project

SNAPSHOT_ID = re.compile(r"[0-9a-f]{12}")
_COUNTS = ("facts", "derived", "sources", "regions", "disagreements")


class SnapshotNotFound(LookupError):
    pass


def read_meta(path: Path) -> dict[str, Any]:
    """A catalog entry read from the snapshot file itself; raises :class:`duckdb.Error` if it is damaged."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT snapshot_id, created_at, input_hash, fact_count, derived_count, source_count, "
                          "region_count, disagreement_count FROM snapshot").fetchone()
        has_bulk = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'bulk_rows'").fetchone()
        bulk_rows = con.execute("SELECT count(*) FROM bulk_rows").fetchone()[0] if has_bulk and has_bulk[0] else 0  # type: ignore[index]
        con.execute("SELECT count(*) FROM facts").fetchone()  # reads the table's blocks: their checksums
    finally:
        con.close()
    if row is None or row[0] != path.stem:
        raise duckdb.InvalidInputException(f"{path.name} holds snapshot {row[0] if row else None}")
    return {"snapshot_id": row[0], "created_at": row[1], "input_hash": row[2], "file": f"snapshots/{path.name}",
            "bytes": path.stat().st_size,
            "counts": {"facts": row[3], "derived": row[4], "sources": row[5], "regions": row[6],
                       "disagreements": row[7], "bulk": bulk_rows}}


def snapshot_is_sound(path: Path, entry: dict[str, Any] | None = None) -> bool:
    """Whether the snapshot file opens, is the snapshot its name says, and has the size the catalog recorded."""
    try:
        if entry is not None and "bytes" in entry and path.stat().st_size != entry["bytes"]:
            return False
        read_meta(path)
    except (OSError, duckdb.Error):
        return False
    return True


def _valid_entry(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    sid = entry.get("snapshot_id")
    counts = entry.get("counts")
    return (isinstance(sid, str) and SNAPSHOT_ID.fullmatch(sid) is not None and entry.get("file") == f"snapshots/{sid}.duckdb"
            and isinstance(entry.get("created_at"), str) and isinstance(entry.get("built_at", ""), str)
            and isinstance(counts, dict) and all(isinstance(counts.get(k), int) for k in _COUNTS))


def snapshot_files(project: Project) -> list[Path]:
    """Complete snapshot files (``<12 hex digits>.duckdb``), whatever the catalog says."""
    if not project.snapshots_dir.is_dir():
        return []
    return sorted(p for p in project.snapshots_dir.glob("*.duckdb") if SNAPSHOT_ID.fullmatch(p.stem))


def _from_files(project: Project) -> list[dict[str, Any]]:
    """Entries rebuilt from the snapshot files that open, ordered by the time their file was written."""
    entries = []
    for path in snapshot_files(project):
        try:
            entry = read_meta(path)
        except (OSError, duckdb.Error):
            continue
        entry["built_at"] = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="microseconds")
        entries.append(entry)
    return sorted(entries, key=lambda e: e["built_at"])


def catalog_status(project: Project) -> tuple[list[dict[str, Any]], str | None]:
    """Catalog entries, oldest first (the last one is "latest"), and why they were rebuilt from the
    snapshot files (None when catalog.json was sound)."""
    name = project.rel(project.catalog_path)
    try:
        doc = json.loads(project.catalog_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ([], None) if not snapshot_files(project) else (_from_files(project), f"{name} is missing")
    except (OSError, ValueError) as exc:
        return _from_files(project), f"{name} is unreadable ({type(exc).__name__})"
    entries = doc.get("snapshots") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not all(_valid_entry(e) for e in entries):
        return _from_files(project), f"{name} has a malformed entry"
    return entries, None


def read_catalog(project: Project) -> list[dict[str, Any]]:
    """Catalog entries, oldest first; the last one is "latest" (the most recently built)."""
    return catalog_status(project)[0]


def refresh_catalog(project: Project, touch: str | None = None) -> list[dict[str, Any]]:
    """Rewrite the catalog from the complete snapshot files (call with the build lock held); ``touch`` becomes
    the latest.  Damaged files are left out."""
    old = {e["snapshot_id"]: e for e in read_catalog(project)}
    entries = []
    for path in snapshot_files(project):
        sid = path.stem
        entry = old.get(sid)
        if entry is None or sid == touch or "bytes" not in entry:
            try:
                entry = {**(entry or {}), **read_meta(path)}
            except (OSError, duckdb.Error):
                continue
        entry.setdefault("built_at", entry["created_at"])
        if sid == touch:
            entry["built_at"] = datetime.now(UTC).isoformat(timespec="microseconds")
        entries.append(entry)
    entries.sort(key=lambda e: e["built_at"])
    atomic.write_text(project.catalog_path, json.dumps({"snapshots": entries}, indent=2) + "\n")
    return entries


def _unusable(project: Project, entry: dict[str, Any]) -> str | None:
    path = project.snapshots_dir / f"{entry['snapshot_id']}.duckdb"
    if not path.is_file():
        return f"its file {project.rel(path)} is missing"
    if "bytes" in entry and path.stat().st_size != entry["bytes"]:
        return f"its file {project.rel(path)} has {path.stat().st_size} bytes, not the {entry['bytes']} it was written with"
    return None


def resolve(project: Project, snapshot: str = "latest") -> tuple[str, Path]:
    """The id and file of ``snapshot``: "latest", an id, or a unique prefix of one."""
    entries = read_catalog(project)
    ids = [e["snapshot_id"] for e in entries]
    if not ids:
        raise SnapshotNotFound("no snapshot has been built yet; run `ktpel build`")
    if snapshot in ("latest", "", None):
        entry, what = entries[-1], "the latest snapshot"
    else:
        matches = [e for e in entries if e["snapshot_id"].startswith(str(snapshot))]
        if len(matches) != 1:
            what = "is ambiguous" if matches else "is not a snapshot"
            raise SnapshotNotFound(f"{snapshot!r} {what}; choose 'latest' or one of: {', '.join(reversed(ids))}")
        entry, what = matches[0], "snapshot"
    sid = entry["snapshot_id"]
    problem = _unusable(project, entry)
    if problem:
        others = [i for i in reversed(ids) if i != sid and not _unusable(project, entries[ids.index(i)])]
        older = f", or choose one that is there: {', '.join(others)}" if others else ""
        raise SnapshotNotFound(f"{what} {sid} cannot be used: {problem}; run `ktpel build` to build it again{older}")
    return sid, project.snapshots_dir / f"{sid}.duckdb"


def connect(project: Project, snapshot: str = "latest") -> duckdb.DuckDBPyConnection:
    """A read-only connection to a snapshot."""
    sid, path = resolve(project, snapshot)
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error:  # its message names the machine's path: say it in the workspace's words
        raise SnapshotNotFound(f"snapshot {sid} cannot be opened: {project.rel(path)} is damaged; "
                               "run `ktpel build` to build it again") from None


def iter_catalog_lines(project: Project) -> Iterator[str]:
    """The catalog as lines for a terminal, newest last, "latest" marked, missing or damaged files marked."""
    entries = read_catalog(project)
    yield f"{'snapshot':<13} {'created_at (UTC)':<26} {'facts':>7} {'derived':>8} {'sources':>8} {'disagree':>9}"
    for i, e in enumerate(entries):
        c = e["counts"]
        mark = "  <- latest" if i == len(entries) - 1 else ""
        problem = _unusable(project, e)
        mark += f"  ({problem})" if problem else ""
        yield (f"{e['snapshot_id']:<13} {e['created_at']:<26} {c['facts']:>7} {c['derived']:>8} {c['sources']:>8} "
               f"{c['disagreements']:>9}{mark}")
