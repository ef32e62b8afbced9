"""Region parameters read the way people type them: one resolver for notebooks and the report batch.

A region is given by its Kemendagri code (``"21.71"``, ``"64"``), its name (``"Kota Batam"``), one of
its aliases (``"Kaltim"``, ``"Bateng"``, ``"PPU"``: the ``aliases`` column of ``regions.csv``) or its bare
name (``"Batam"``, without ``Provinsi``/``Kabupaten``/``Kota``), case and spacing ignored; only exact
matches count.  A value that matches nothing, or several regions, is refused with the close candidates
only (never the whole list).

Numbers are read as codes: Papermill's ``-p region 64.71`` and YAML's ``region: 64.71`` arrive as the
float 64.71, which is code ``64.71``; ``64.1`` can only have been typed as ``64.1`` or ``64.10``, so it
is code ``64.10`` if that region exists and is refused otherwise, naming the codes that do.

A list parameter may arrive as a list, as the text of a JSON/YAML list (``'["Batam","64"]'``, which
Papermill's ``-p`` passes as one string) or as comma-separated text (``Batam,64``): :func:`region_items`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import yaml

#: Notebook parameters that name regions (``regions`` takes several, the others one).
REGION_PARAMETERS = ("regions", "region", "province")
#: Words that start a region's official name and that people leave out.
PREFIXES = ("kabupaten administrasi ", "kota administrasi ", "provinsi ", "kabupaten ", "kota ")
CODE_TEXT = re.compile(r"\d{1,2}(?:\.\d{1,2})?")
MAX_CANDIDATES = 8


class RegionError(ValueError):
    """A region parameter that names no region, or several; the message gives the close candidates."""


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def bare_name(self) -> str:
        return _bare(self.name)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _bare(name: str) -> str:
    key = _key(name)
    return next((key[len(p):] for p in PREFIXES if key.startswith(p)), key)


class RegionIndex:
    """The regions of a snapshot, looked up by code, name, alias or bare name."""

    def __init__(self, regions: Sequence[Region]):
        self.regions = list(regions)
        self.by_code = {r.code: r for r in self.regions}
        self.exact: dict[str, list[Region]] = {}  # code or full name
        self.loose: dict[str, list[Region]] = {}  # alias or bare name
        for r in self.regions:
            for key in {r.code.casefold(), _key(r.name)}:
                self.exact.setdefault(key, []).append(r)
            for key in {_key(a) for a in r.aliases} | {r.bare_name}:
                if r not in self.loose.setdefault(key, []):
                    self.loose[key].append(r)

    @classmethod
    def from_connection(cls, con: duckdb.DuckDBPyConnection) -> RegionIndex:
        """The ``regions`` table of an open snapshot (snapshots before schema 3 have no aliases)."""
        has_aliases = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'regions' "
                                  "AND column_name = 'aliases'").fetchone()
        aliases = "coalesce(aliases, [])" if has_aliases and has_aliases[0] else "[]::VARCHAR[]"
        rows = con.execute(f"SELECT region_code, name, {aliases} FROM regions ORDER BY region_code").fetchall()
        return cls([Region(code, name, tuple(al or ())) for code, name, al in rows])

    def name(self, code: str) -> str:
        return self.by_code[code].name

    def resolve(self, item: Any, parameter: str = "region") -> str:
        """The code of the one region ``item`` names; :class:`RegionError` otherwise."""
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise RegionError(f"{parameter} {item!r} is not a region; give a name, an alias or a Kemendagri "
                              "code such as 'Kota Batam', 'Batam' or '21.71'")
        if isinstance(item, (int, float)):
            return self._resolve_number(item, parameter)
        key = _key(item)
        if "," in key:
            raise RegionError(f"{parameter} {item!r} is several values; give one region per item "
                              "(a list: [\"Batam\", \"64\"])")
        for table in (self.exact, self.loose):
            found = table.get(key, [])
            if len(found) == 1:
                return found[0].code
            if len(found) > 1:
                raise RegionError(f"{parameter} {item!r} could be {_or(r.label for r in found)}; "
                                  "give the full name or the code")
        raise RegionError(f"{parameter} {item!r} is not a region code, name or alias of this snapshot"
                          + self._suggest(key))

    def _resolve_number(self, number: int | float, parameter: str) -> str:
        """Papermill and YAML turn ``64.71`` into a float and ``64`` into an int: read them as codes."""
        if isinstance(number, int):
            code, was = str(number), str(number)
        else:
            was = repr(number)
            whole, _, frac = was.partition(".")
            code = f"{whole}.{frac.ljust(2, '0')}" if CODE_TEXT.fullmatch(was) else was
        if code in self.by_code:
            return code
        why = f"Kemendagri has no region {code}" if code != was else f"no region has the code {code}"
        raise RegionError(f"{parameter} {was} (read as a number) is not a region: {why}; codes have two "
                          "digits per level, e.g. 21.71" + self._suggest(code, number=was))

    def _suggest(self, key: str, number: str | None = None) -> str:
        candidates = self.candidates(key, number)
        if not candidates:
            return "; no region has a similar code or name (the regions are in data/raw/regions.csv)"
        shown = [r.label for r in candidates[:MAX_CANDIDATES]]
        more = f" and {len(candidates) - MAX_CANDIDATES} more" if len(candidates) > MAX_CANDIDATES else ""
        return f". Did you mean {_or(shown)}{more}?"

    def candidates(self, key: str, number: str | None = None) -> list[Region]:
        """Regions close to ``key``: codes near a code-like key; else names, aliases and bare names that
        contain it as a word, then those difflib finds similar."""
        out: list[Region] = []

        def add(regions: Sequence[Region]) -> None:
            out.extend(r for r in regions if r not in out)

        text = number or key
        if CODE_TEXT.fullmatch(text):
            whole, _, frac = text.partition(".")
            near = ([f"{whole}.{frac.rjust(2, '0')}", f"{whole}.{frac.ljust(2, '0')}"] if frac
                    else [whole.rjust(2, "0")])
            add([self.by_code[c] for c in near if c in self.by_code])
            siblings = [c for c in self.by_code if c.startswith(f"{whole}.")]
            if len(frac) == 1:  # 64.1: 64.01 or 64.10, else 64.1x
                add([self.by_code[c] for c in siblings if c.startswith(f"{whole}.{frac}")])
            elif frac:  # the kabupaten/kota of the same province whose codes look alike
                add([self.by_code[c] for c in difflib.get_close_matches(text, siblings, n=3, cutoff=0.8)])
            else:  # provinces whose code starts with the digits given
                add([r for r in self.regions if "." not in r.code and r.code.startswith(whole)])
            return out[:5]
        pattern = re.compile(rf"\b{re.escape(key)}")
        labels = {**self.loose, **self.exact}
        add([r for k, rs in labels.items() if key and pattern.search(k) for r in rs])
        for close in difflib.get_close_matches(key, list(labels), n=5, cutoff=0.75):
            add(labels[close])
        return out

    def resolve_all(self, value: Any, parameter: str = "regions") -> list[str]:
        """Codes of every region ``value`` names (see :func:`region_items`), in order, without repeats."""
        codes: list[str] = []
        for item in region_items(value, parameter):
            code = self.resolve(item)
            if code not in codes:
                codes.append(code)
        return codes


def _or(labels: Any) -> str:
    items = list(labels)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def region_items(value: Any, parameter: str = "regions") -> list[Any]:
    """The items of a region parameter as given: a list, JSON/YAML list text, comma-separated text,
    one name or code, or a number.  :class:`RegionError` for anything else."""
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, str) and value.strip().startswith("["):
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise RegionError(f"{parameter}: {value!r} is not a list ({getattr(exc, 'problem', exc)}); write it "
                              "as [\"Batam\", \"64\"] or Batam,64") from None
        if not isinstance(parsed, list):
            raise RegionError(f"{parameter}: {value!r} is not a list; write it as [\"Batam\", \"64\"] or Batam,64")
        items = parsed
    elif isinstance(value, str) and "," in value:
        items = [part.strip() for part in value.split(",")]
    else:
        items = [value]
    bad = [i for i in items if isinstance(i, bool) or not isinstance(i, (str, int, float)) or i == ""]
    if bad:
        raise RegionError(f"{parameter}: {bad[0]!r} is not a region; give names, aliases or Kemendagri codes "
                          "such as [\"Batam\", \"64\"]")
    return items


#: ``kabupaten_kota_of`` levels: the second tier of Kemendagri codes (``ktpel synth`` regions are ``kabupaten``).
SECOND_TIER = ("kabupaten", "kota")


def kabupaten_kota_of(con: duckdb.DuckDBPyConnection, value: Any) -> list[str]:
    """Codes of the kabupaten/kota of the province(s) ``value`` names (any way :class:`RegionIndex` reads a
    region; a list for several), or of the whole country for ``all``; in code order.
    :class:`RegionError` if ``value`` names no province or a province has none."""
    levels = list(SECOND_TIER)
    if isinstance(value, str) and value.strip().casefold() == "all":
        rows = con.execute("SELECT region_code FROM regions WHERE level IN (SELECT unnest(?)) ORDER BY region_code",
                           [levels]).fetchall()
        return [code for (code,) in rows]
    index = RegionIndex.from_connection(con)
    levels_of = dict(con.execute("SELECT region_code, level FROM regions").fetchall())
    codes: list[str] = []
    for item in region_items(value, "kabupaten_kota_of"):
        parent = index.resolve(item, "kabupaten_kota_of")
        if levels_of.get(parent) != "provinsi":
            raise RegionError(f"kabupaten_kota_of {item!r} is {index.by_code[parent].label}, not a province; "
                              "give a province (a code such as \"64\", a name or an alias) or all")
        rows = con.execute("SELECT region_code FROM regions WHERE parent_code = ? AND level IN (SELECT unnest(?)) "
                           "ORDER BY region_code", [parent, levels]).fetchall()
        if not rows:
            raise RegionError(f"kabupaten_kota_of {item!r}: {index.by_code[parent].label} has no kabupaten/kota "
                              "in this snapshot")
        codes += [code for (code,) in rows if code not in codes]
    return codes
