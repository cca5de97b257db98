# schoolnet: `make demo` runs the whole system on this machine; `make test` passes the tests.
# Both set everything up first (Debian packages, the Python virtualenv).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: help deps venv test test-fast demo bench-ingest bench-detect bench-bytes bench-planning bench-gateway-memory clean

help:
	@echo "make demo          set up and run broker, InfluxDB, collector, this machine's agent and a simulated province"
	@echo "make test          set up and run the whole test suite against real services"
	@echo "make bench-ingest  measure end-to-end ingest against raw broker and InfluxDB rates"
	@echo "make bench-detect  time from a school's link cut to the teacher's email (RUNS=3)"
	@echo "make bench-bytes   bytes on the wire per report, normal and metered; a 3G school's month (root)"
	@echo "make bench-planning  planners' reports on the whole simulated province, against their InfluxDB time"
	@echo "make bench-gateway-memory  a school gateway agent's memory with its probes, against the 60 MB aim (root)"
	@echo "make clean         remove the virtualenv, demo data and caches"

deps:
	@bash scripts/install-system-deps.sh

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

test: deps venv
	$(VENV)/bin/pytest -q

test-fast: venv
	$(VENV)/bin/pytest -q -x -m "not slow"

demo: deps venv
	$(PY) -m devenv.demo

bench-ingest: deps venv
	$(PY) bench/ingest.py

RUNS ?= 3
bench-detect: deps venv
	$(PY) bench/detect.py --runs $(RUNS)

bench-bytes: deps venv
	$(PY) bench/bytes.py

bench-planning: deps venv
	$(PY) bench/planning.py

bench-gateway-memory: deps venv
	$(PY) bench/gateway_memory.py

clean:
	rm -rf $(VENV) .demo .pytest_cache build *.egg-info
