"""Stage 1, the raw layer: read and validate ``data/raw`` (sources, regions, metrics, targets, facts, bulk
tables). Writes nothing."""
