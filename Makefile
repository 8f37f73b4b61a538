# Two commands from a bare python3: `make demo` (the whole loop) and `make test`.
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
RETAIN_HOME ?= .retain
AS_OF ?= 2026-01-01
export RETAIN_HOME
export UV_PYTHON_DOWNLOADS := never
# Trust the platform certificate store (corporate and operator networks intercept TLS).
export UV_SYSTEM_CERTS := 1

.PHONY: install demo test lint lock serve clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: requirements.lock pyproject.toml | $(UV)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(UV) pip sync --quiet --python $(VENV)/bin/python requirements.lock
	$(UV) pip install --quiet --python $(VENV)/bin/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

demo: install  ## generate an operator, train churn, value and uplift, batch-score, summarise
	$(VENV)/bin/retain generate --out $(RETAIN_HOME)/data/raw
	$(VENV)/bin/retain train --raw $(RETAIN_HOME)/data/raw
	$(VENV)/bin/retain train-uplift --raw $(RETAIN_HOME)/data/raw
	$(VENV)/bin/retain score --raw $(RETAIN_HOME)/data/raw --as-of $(AS_OF) --out $(RETAIN_HOME)/data/scores

serve: install
	$(VENV)/bin/retain serve --port 3000

test: install
	$(VENV)/bin/python -m pytest -q

lint: install
	$(VENV)/bin/ruff check features training serving tests bench

lock: $(UV)  ## re-resolve pinned dependencies after editing pyproject.toml
	$(UV) pip compile --quiet pyproject.toml --all-extras --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) $(TOOLS) $(RETAIN_HOME)
