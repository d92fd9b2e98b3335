# Podium: `make demo` runs it locally, `make test` runs every test. Both start from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --quiet --disable-pip-version-check

.PHONY: install demo lint test test-busy bench screenshots chromium sandbox axe clean

install: $(VENV)/.installed

# torch first, from the CPU wheel; constraints.txt then keeps every other
# package from pulling a different (CUDA) torch.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install torch==2.13.0
	$(PIP) install -c constraints.txt -e '.[dev]'
	touch $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Chromium for the browser tests (Debian packages chromium, chromium-driver)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# axe-core (npm) checks every page's accessibility in the browser tests; package-lock.json pins it.
axe: node_modules/axe-core/axe.min.js

node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Models run under bubblewrap with a seccomp filter (docs/security.md); an inference worker without them runs no models.
sandbox:
	@{ command -v bwrap && ldconfig -p | grep -q libseccomp.so.2; } >/dev/null 2>&1 || { \
		echo "Installing bubblewrap and libseccomp2 for the model sandbox (Debian packages)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap libseccomp2 >/dev/null; }

# The demo's address: `make demo PORT=8080` (HOST=0.0.0.0 to reach it from other machines; VERBOSE=1 for every log).
HOST ?= 127.0.0.1
PORT ?= 8000

# Quiet: each process logs to var/log/; the logins and the address come last. VERBOSE=1 prints every log here.
demo: install sandbox
	@$(PY) manage.py runstack --seed --bind $(HOST):$(PORT) $(if $(VERBOSE),--verbose)

# Style and types: ruff (pyflakes, pycodestyle) over everything, mypy with django-stubs over the packages.
lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy

test: install chromium sandbox axe lint
	$(PY) -m pytest

# The same suite with two CPU-bound processes beside it (tests/busy.py): what a loaded CI machine does to it.
test-busy: install chromium sandbox axe
	$(PY) tests/busy.py $(PY) -m pytest

screenshots: install chromium axe
	PODIUM_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/browser -q

bench: install sandbox
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var node_modules
