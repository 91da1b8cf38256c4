# Every target bootstraps .venv itself, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8080
HOST   ?= 127.0.0.1
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# Editable installs, so edits to the checkout take effect at once. PYTHONWARNINGS=ignore silences setuptools'
# notice box about folders named like the package: here the checkout is the package, which is the point.
EDITABLE := PYTHONWARNINGS=ignore $(PIP) -e

.PHONY: serve test bench system-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# The stamp files re-install only when pyproject.toml changes. A stamp is written only after the install
# succeeded and the command it installed runs, so a failed or partial install is retried next time.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	rm -f $@
	$(EDITABLE) .
	$(BIN)/companion --help >/dev/null
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	rm -f $@
	$(EDITABLE) '.[test]'
	$(BIN)/companion --help >/dev/null
	touch $@ $(VENV)/.installed

system-packages:
	scripts/ensure-system-packages

serve: $(VENV)/.installed
	$(BIN)/companion serve --demo --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test system-packages
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
