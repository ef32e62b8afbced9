"""Helpers for the KTP-el coverage workspace: raw layer validation, DuckDB
snapshots, queries and charts.  Each module has one job; see the README."""

__version__ = "0.1.0"
