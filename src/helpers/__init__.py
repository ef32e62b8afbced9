"""Helpers for the KTP-el coverage workspace: raw layer validation, DuckDB
snapshots, queries and charts.  Each module has one job; see the README."""

__version__ = "0.1.0"

import sys as _sys

# jsonschema (used by Altair, nbformat and so Papermill) imports rfc3987_syntax when it is installed,
# only to register an "iri" format checker that neither Vega-Lite nor notebook schemas use; that import
# compiles a Lark grammar (~1.5-2 s of every kernel, worker and CLI start).  Mark it absent before
# jsonschema loads: jsonschema guards the import and skips that checker.
if "jsonschema" not in _sys.modules:
    _sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
