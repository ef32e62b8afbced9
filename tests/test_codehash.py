"""The code fingerprint (helpers.codehash): a changed file changes it; an unchanged tree is not read again.

Each test works on a small package tree of its own (``PACKAGE`` pointed at it) with an empty cache. The clock
the cache compares file times with is set by the test, so nothing depends on how long a step takes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import codehash

#: A time long after any file of the test was written: every file is old enough to be kept in the cache.
LATER = 2**62


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """A package at ``tmp_path/helpers`` (modules, a subpackage, an asset, a __pycache__) and the list of the
    files read from disk by the cache, call after call."""
    root = tmp_path / "helpers"
    for name, text in {"__init__.py": "", "cli.py": "x = 1\n", "raw/__init__.py": "", "raw/facts.py": "y = 2\n",
                       "assets/page.css": "body {}\n", "raw/__pycache__/facts.cpython-311.pyc": "junk",
                       "notes.txt": "not code"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    reads: list[str] = []

    def read(path: str) -> bytes:
        reads.append(Path(path).relative_to(root).as_posix())
        return Path(path).read_bytes()

    monkeypatch.setattr(codehash, "PACKAGE", root)
    monkeypatch.setattr(codehash, "_cache", {})
    monkeypatch.setattr(codehash, "_read", read)
    monkeypatch.setattr(codehash, "_now_ns", lambda: LATER)
    return root, reads


def _same_size_edit(path: Path, text: str) -> None:
    """Replace the file's text by ``text`` of the same length, in place, keeping its mtime."""
    st = path.stat()
    assert len(text) == st.st_size
    with open(path, "r+") as fh:
        fh.write(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_the_files_are_the_modules_and_assets_without_caches(tree):
    assert codehash.package_files() == ["__init__.py", "cli.py", "raw/__init__.py", "raw/facts.py",
                                        "assets/page.css"]
    assert codehash.package_files(["raw"]) == ["raw/__init__.py", "raw/facts.py"]


def test_an_unchanged_tree_is_hashed_from_the_cache(tree):
    root, reads = tree
    first = codehash.package_digest()
    assert sorted(reads) == sorted(codehash.package_files())  # each file read once
    reads.clear()
    assert codehash.package_digest() == first
    assert codehash.package_digest(["raw"]) != first
    assert reads == []  # nothing read again


def test_an_edit_that_changes_the_size_changes_the_digest(tree):
    root, reads = tree
    first = codehash.package_digest()
    (root / "raw" / "facts.py").write_text("y = 22\n")
    assert codehash.package_digest() != first
    assert "raw/facts.py" in reads[-1:]


def test_a_same_size_edit_with_a_new_mtime_changes_the_digest(tree):
    root, _ = tree
    first, first_raw = codehash.package_digest(), codehash.package_digest(["raw"])
    path = root / "cli.py"
    _same_size_edit(path, "x = 9\n")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert codehash.package_digest() != first
    assert codehash.package_digest(["raw"]) == first_raw  # cli.py is not part of raw


def test_a_file_replaced_by_a_same_size_same_mtime_one_changes_the_digest(tree):
    """An atomic rename (git checkout, an editor's save): size and mtime as before, but another inode."""
    root, _ = tree
    first = codehash.package_digest()
    path, new = root / "raw" / "facts.py", root / "raw" / "facts.py.new"
    new.write_text("z = 3\n")
    st = path.stat()
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(new, path)
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert codehash.package_digest() != first


def test_a_file_changed_within_the_clock_tick_is_read_every_time(tree, monkeypatch):
    """A file whose ctime is "now" could change again without its times changing: it is not kept in the cache
    (read on every call), so an edit that leaves size and times as they were is still seen."""
    root, reads = tree
    path = root / "cli.py"
    monkeypatch.setattr(codehash, "_now_ns", lambda: path.stat().st_ctime_ns)  # "now" is the file's last change
    codehash.package_digest()
    reads.clear()
    before = codehash.package_digest()
    assert "cli.py" in reads
    _same_size_edit(path, "x = 7\n")
    assert codehash.package_digest() != before


def test_a_new_or_removed_module_changes_the_digest(tree):
    root, _ = tree
    first = codehash.package_digest()
    (root / "raw" / "bulk.py").write_text("")
    second = codehash.package_digest()
    assert second != first
    (root / "raw" / "bulk.py").unlink()
    assert codehash.package_digest() == first


def test_the_installed_package_digest_is_stable_between_calls():
    assert codehash.package_digest() == codehash.package_digest()
    assert len(codehash.package_digest(("raw", "snapshot"))) == 64
