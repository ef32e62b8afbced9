# Two commands set everything up on a fresh machine:
#   make report   - create .venv if missing, install, build the latest snapshot, run the report batch
#   make test     - the whole test suite (pytest + nbval)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install data report export test lint lab notebooks bench reliability clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

data: $(STAMP)
	$(BIN)/ktpel build

report: data
	$(BIN)/ktpel report

export: $(STAMP)
	$(BIN)/ktpel export

test: data lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup --junitxml=.pytest-results/junit.xml tests
	$(BIN)/python -m pytest --nbval notebooks --nbval-sanitize-with nbval-sanitize.cfg
	$(BIN)/python tools/reliability.py --junit .pytest-results/junit.xml

# Static checks: ruff (lint), the layer contracts of pyproject.toml (import-linter), mypy on src (its
# settings in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check src tests tools bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# The README's reliability figures: bad inputs refused, variants accepted, kills survived, overlaps succeeded.
reliability: data
	$(BIN)/python tools/reliability.py

# Timings as ratios (bench/results.json); not part of `make test`: it takes a few minutes.
bench: data
	$(BIN)/python tools/bench.py --national

# Re-execute the notebooks in place against the latest snapshot, keeping their cells: first bring each
# notebook and its paired script (notebooks/NN_name.py, jupytext) in step, then run, then re-sync the pair.
# No execution timestamps are stored (they would make every re-run a diff); cell tags are kept.
NOTEBOOKS ?= notebooks/*.ipynb
notebooks: data
	$(BIN)/jupytext --sync $(NOTEBOOKS)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.record_timing=False \
	  --ClearMetadataPreprocessor.enabled=True --ClearMetadataPreprocessor.clear_notebook_metadata=False \
	  --ClearMetadataPreprocessor.preserve_cell_metadata_mask=tags $(NOTEBOOKS)
	$(BIN)/jupytext --sync $(NOTEBOOKS)

# JupyterLab on the notebooks (LAB_DIR), paired with their scripts by jupytext (notebooks/jupytext.toml);
# kernels over IPC sockets on Linux (no TCP port to race for; sockets beside the connection files).
LAB_DIR ?= notebooks
lab: data
	$(BIN)/jupyter lab --notebook-dir=$(LAB_DIR) $(if $(filter 0,$(shell id -u)),--allow-root) \
		$(if $(filter Linux,$(shell uname -s)),--KernelManager.transport=ipc) $(LAB_ARGS)

clean:
	rm -rf data/processed/snapshots data/processed/catalog.json reports/*/
