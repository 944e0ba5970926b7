# Two entry points for a fresh clone: `make run` (the main job) and `make test`.
# Every target creates/uses the local virtualenv in .venv and installs what it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

BENCH_STORE := file://results/baselines/pytest-benchmark
MICRO := $(BIN)/python -m pytest tests/bench/test_micro.py -m bench -p no:cacheprovider \
	--benchmark-enable --benchmark-storage=$(BENCH_STORE)

.PHONY: run test check bench bench-micro bench-baseline bench-compare gate-suite install nginx clean

$(STAMP): pyproject.toml setup.py mock_llm/engine/_chunk_writer.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP) nginx
	$(BIN)/streamgauge run

# The main job measures through a real nginx. Install it where that works (Debian's
# package, as root or with passwordless sudo); otherwise stop with the one command to run.
nginx:
	@if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "make run needs nginx: install it with your system's package manager" >&2; exit 1; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; \
	else echo "make run needs nginx: sudo apt-get install nginx" >&2; exit 1; fi; \
	echo "installing nginx (apt-get install nginx) ..."; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Long benchmarks: each writes JSON to results/bench/ (numbers in results/README.md).
bench: $(STAMP) bench-micro
	$(BIN)/python -m tests.bench.mock_throughput
	$(BIN)/python -m tests.bench.service_overhead

bench-micro: $(STAMP)
	$(MICRO)

# Record new micro-benchmark baselines (commit results/baselines/pytest-benchmark/).
bench-baseline: $(STAMP)
	$(MICRO) --benchmark-save=micro

# Fail when a micro-benchmark's mean is 30% worse than the stored baseline.
bench-compare: $(STAMP)
	$(MICRO) --benchmark-compare --benchmark-compare-fail=mean:30%

# The gate's own trust tests (results/README.md#regression-gate): the embedded reference
# (5/5 passes unchanged, 5/5 fails per seeded variant, ~25 min) and the corpus of a team's
# service (tests/gate/test_corpus.py: 10/10 passes, 5/5 fails per regression through its
# check, 1-2 h). Quicker: GATE_SUITE_RUNS=1 (runs per regression, twice that unchanged);
# GATE_SUITE_ONLY=name,name (some regressions); GATE_SUITE_TESTS=tests/gate/test_corpus.py.
GATE_SUITE_TESTS ?= tests/gate
gate-suite: $(STAMP)
	$(BIN)/python -m pytest $(GATE_SUITE_TESTS) -m slow

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
