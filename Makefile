# The two quick-start commands (`make demo`, `make test`) and `make bench`, each from a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# torch is installed first from its CPU wheel so that argostranslate (through stanza) does not pull
# the multi-gigabyte CUDA build.
$(TEST_STAMP): pyproject.toml $(RUN_STAMP)
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e '.[dev,argos,embeddings]'
	touch $@

# Apertium (the demo's Spanish machine text) is installed where we may (root on Debian); otherwise the
# script says what to install and the demo still runs, saying so.
demo: $(RUN_STAMP)
	bash scripts/ensure-system-packages.sh
	$(BIN)/relay demo

# Synapse (the real Matrix homeserver the tests talk to) lives in its own virtual environment, kept in
# .cache/ between runs.
test: $(TEST_STAMP)
	$(BIN)/lint-imports  # the layers and one-module-per-SDK rules in pyproject.toml
	bash scripts/ensure-system-packages.sh
	bash scripts/ensure-synapse.sh
	bash scripts/run-tests.sh

bench: $(TEST_STAMP)
	bash scripts/ensure-system-packages.sh
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/telegram_fanout.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/console_api.py
	$(BIN)/python bench/triage_eval.py
	ARGOS_INTRA_THREADS=1 $(BIN)/python bench/translation.py  # as the relay runs argos (translation_hooks.py)
	$(BIN)/python bench/misinfo_eval.py

# The reliability suite's long forms (20,000 recipients and 20 kills, a 60 s outage, 10,000 hostile
# inputs per door); `make test` runs the fast forms.
soak: $(TEST_STAMP)
	bash scripts/ensure-system-packages.sh
	RELAY_SOAK=1 $(BIN)/python -m pytest -q -s -p no:cacheprovider --timeout=3600 tests/reliability  # the long forms outlast the suite's 600 s per test

clean:
	rm -rf $(VENV) .pytest_cache
