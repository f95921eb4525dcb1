# deshi: the two commands a new user needs are `make demo` and `make test`.
# Both create .venv and install pinned dependencies first (a stamp file makes it quick when done).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
EXTRAS ?= dev,ray
WHEELS := $(wildcard /opt/wheels)
PIP_FLAGS := $(if $(WHEELS),--find-links /opt/wheels,)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export DO_NOT_TRACK := 1
export RAY_USAGE_STATS_ENABLED := 0
export TOKENIZERS_PARALLELISM := false

.PHONY: setup browser demo test test-fast bench bench-peers lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check $(PIP_FLAGS) torch==2.13.0
	$(BIN)/python -m pip install -q --disable-pip-version-check $(PIP_FLAGS) -e ".[$(EXTRAS)]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: setup
	$(BIN)/deshi demo --workspace workspace

test: setup browser
	$(BIN)/python -m pytest -q

# Headless Chromium renders the HTML reports in a test; Debian's package, installed once when we are root.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "chromium is not installed: the report-rendering test will be skipped"

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup bench-peers
	$(BIN)/python -m pip install -q --disable-pip-version-check $(PIP_FLAGS) -e ".[$(EXTRAS),bench]"
	$(BIN)/python benchmarks/run_all.py

# Benchmark peers whose pins conflict with ours get their own venv under .bench/ (gitignored).
# LiteLLM: 1.109.x needs certifi>=2026.10.19 (not on the index) and every proxy release pins rich<14,
# which our venv cannot take. 1.105.7 also needs that certifi; 1.100.5 installs here (checked 2026-11-24).
LITELLM_VERSION ?= 1.100.5
LITELLM_VENV := .bench/litellm-venv
LITELLM_STAMP := $(LITELLM_VENV)/.installed-litellm-$(LITELLM_VERSION)

bench-peers: $(LITELLM_STAMP)

$(LITELLM_STAMP):
	test -x $(LITELLM_VENV)/bin/python || $(PYTHON) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/python -m pip install -q --disable-pip-version-check $(PIP_FLAGS) "litellm[proxy]==$(LITELLM_VERSION)"
	rm -f $(LITELLM_VENV)/.installed-litellm-*
	touch $@

lint: setup
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf workspace .pytest_cache .bench
