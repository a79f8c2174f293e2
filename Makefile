# Every target builds .venv when it is missing, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: demo test dev lint bench bench-quick audit clean
# The installer tools themselves, pinned: the interpreter's bundled pip and setuptools carry
# known vulnerabilities. Raise these deliberately.
TOOLS := pip==26.3 setuptools==84.2.1

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TOOLS)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/wfm-connector demo --config config/demo.yaml

# Test files run in two worker processes (pytest-xdist), each with its own database; a file's
# tests stay together, so its module fixtures are built once. One given database
# (WFM_TEST_DATABASE_URL) cannot be shared: then one process.
XDIST := $(if $(WFM_TEST_DATABASE_URL),,-n 2 --dist loadfile)
test: $(STAMP)
	$(BIN)/python -m pytest -q $(XDIST)

# The UI (dagster-webserver, http://127.0.0.1:3000) and the daemon (schedules, the sensor, run
# monitoring), the two processes `dagster dev` starts (now superseded, with a warning);
# Ctrl-C stops both.
dev: $(STAMP)
	$(BIN)/python -c "from dagster_project.run import ensure_dagster_home; ensure_dagster_home()"
	export WFM_CONFIG=$${WFM_CONFIG:-config/demo.yaml}; \
	$(BIN)/dagster-daemon run -w workspace.yaml & daemon=$$!; \
	trap 'kill $$daemon 2>/dev/null' EXIT INT TERM; \
	$(BIN)/dagster-webserver -w workspace.yaml -h 127.0.0.1 -p $${PORT:-3000}

lint: $(STAMP)
	$(BIN)/ruff check .

# Speed against the floor and a naive peer, medians of 3 runs, JSON in benchmarks/results/
# (README, Benchmarks). The simulation is kept in .wfm/bench and reused.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --agents 1000 --runs 3

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run.py --agents 200 --runs 3

# Known vulnerabilities (PyPI's advisory data) in every package installed in .venv.
audit: $(STAMP)
	$(BIN)/pip-audit --skip-editable --progress-spinner off

clean:
	rm -rf .wfm .dagster_home
