# schoolnet: `make demo` runs the whole system on this machine; `make test` passes the tests.
# Both set everything up first (Debian packages, the Python virtualenv).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: help deps venv lint i18n-check i18n-update test test-fast demo bench-ingest bench-abuse bench-detect bench-bytes bench-planning bench-gateway-memory bench-rules clean

help:
	@echo "make demo          set up and run broker, InfluxDB, collector, this machine's agent and a simulated province (PROFILE=file.yaml)"
	@echo "make test          set up and run the whole test suite against real services"
	@echo "make test-fast     the unit tests only: no services, no namespaces, under a minute"
	@echo "make lint          ruff, ruff format, mypy, yamllint, ansible-lint, import layers, translations"
	@echo "make i18n-check    fail when the translation catalogues are stale, untranslated (vi) or fuzzy"
	@echo "make i18n-update   extract the collector's messages into both catalogues (vi, en)"
	@echo "make bench-ingest  measure end-to-end ingest against raw broker and InfluxDB rates"
	@echo "make bench-abuse   honest devices' ingest rate with 5 % hostile devices, against a clean run"
	@echo "make bench-detect  time from a school's link cut to the teacher's email (RUNS=3)"
	@echo "make bench-rules   one pass of the alert rules over a province-sized snapshot, against a bare loop"
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

YAML_DIRS := ansible firmware_configs dashboards/provisioning collector/schoolnet_collector

# The same checks as CI (.ci/run) and the pre-commit hooks (.pre-commit-config.yaml).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/yamllint --strict -c .yamllint.yaml $(YAML_DIRS)
	cd ansible && ../$(VENV)/bin/ansible-lint --offline --profile production -q
	$(VENV)/bin/lint-imports
	$(MAKE) --no-print-directory i18n-check

# The collector's translation catalogues (collector/README.md, Translations).
i18n-check: venv
	$(PY) -m schoolnet_collector.i18n.maintain check

i18n-update: venv
	$(PY) -m schoolnet_collector.i18n.maintain update

test: deps venv
	$(VENV)/bin/pytest -q

# Unit tests only: no service, no namespace, nothing slow (under a minute). Starting a service
# here fails the test, naming the marker it lacks.
test-fast: venv
	SCHOOLNET_TEST_NO_SERVICES=1 $(VENV)/bin/pytest -q -m "not services and not netns and not slow"

# make demo PROFILE=path/to/file.yaml: another province profile (default: lao-cai-2018).
demo: deps venv
	$(PY) -m devenv.demo $(if $(PROFILE),--profile $(PROFILE))

bench-ingest: deps venv
	$(PY) bench/ingest.py

bench-rules: venv
	$(PY) bench/rules_pass.py

bench-abuse: deps venv
	$(PY) bench/abuse.py

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
