# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both create .venv with the machine's python3 and install the exact pins of requirements.lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.lock | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in e-mails, the Wagtail admin's and the sites framework's domain follow the served address
# (config/settings/base.py reads SITE_URL); set SITE_URL yourself behind a proxy or another name.
SITE_URL ?= http://$(HOST):$(PORT)
DJANGO_ENV := SITE_URL='$(SITE_URL)'
UV_VERSION := 0.13.9

.PHONY: install run serve test migrate seed messages check bench screenshots clean

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Passerelles needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked dependencies into $(VENV) (first run only)…"
	@# The lock lists every package with its exact version, so nothing is resolved (--no-deps).
	@# uv fetches and installs them in parallel (about 30 s instead of several minutes with pip);
	@# when uv cannot be installed or fails, pip installs the same pins.
	@if $(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)" \
	    && UV_NATIVE_TLS=1 $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -r requirements.lock; then \
	  echo "Installed with uv $(UV_VERSION)."; \
	else \
	  echo "uv unavailable: installing with pip (slower)."; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock; \
	fi
	@$(BIN)/python -m pip check --disable-pip-version-check >/dev/null || { $(BIN)/python -m pip check; exit 1; }
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(DJANGO_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DJANGO_ENV) $(BIN)/python manage.py seed_demo

run: seed serve

serve: install
	@echo ""
	@echo "  Passerelles is starting on http://$(HOST):$(PORT)/"
	@echo "  Demo login: directrice@passerelles.test / passerelles-demo  (all accounts in README.md)"
	@echo "  E-mails (verification links) are printed below. Stop with Ctrl+C."
	@echo ""
	DJANGO_SETTINGS_MODULE=config.settings.dev $(DJANGO_ENV) $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

# The browser tests (tests/e2e) drive Debian's chromium and check pages with axe-core, pinned in
# tests/e2e/package-lock.json. Without chromium they are skipped and pytest says so; without npm
# they run without the accessibility checks and pytest says so too.
AXE := tests/e2e/node_modules/axe-core/axe.min.js
$(AXE): tests/e2e/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error && touch $(AXE); \
	else \
	  echo "npm not found: the browser tests will run without axe-core (accessibility checks)."; \
	fi

test: install $(AXE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Source strings are French; English is the translation. The compiled .mo files are committed,
# so installing never needs gettext. No static JS calls gettext, so there is no djangojs domain.
MSG_IGNORE := --ignore=.venv --ignore=staticfiles --ignore=bench --ignore=node_modules --ignore=tests --ignore=docs
messages: install
	$(BIN)/python manage.py makemessages -l fr -l en --no-obsolete --add-location=file $(MSG_IGNORE)
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: install
	$(BIN)/python bench/serve.py $(BENCH_ARGS)

# The key pages of the demo at 1280 and 390 px, into docs/screenshots/ (needs chromium).
screenshots: seed
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3* bench/out tests/e2e/node_modules
