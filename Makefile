# Terreau — `make run` serves the demo, `make test` runs the suite. Both start with `make setup`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export TERREAU_DATA_DIR ?= $(CURDIR)/instance
export FLASK_APP := network:create_app
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: setup system run serve test test-sqlite test-postgres lint format typecheck translations \
        extract-messages update-messages bench clean

setup: system $(VENV)/.installed static/vendor/.installed translations browser
	$(BIN)/flask db upgrade

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

static/vendor/.installed: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d network/translations -D messages

# Pango for WeasyPrint (the minutes as PDF), PostgreSQL's client programs (`flask backup`
# of a PostgreSQL database) and logrotate (tests/core/test_deploy_files.py), installed when
# missing and when we are root.
system:
	@ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else echo "Pango is missing: the minutes' PDF will not be available (run as root to install it)"; fi; }
	@command -v pg_dump >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_dump >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; \
	  else echo "pg_dump is missing: backups of a PostgreSQL database will fail (run as root to install it)"; fi; }
	@{ command -v logrotate || test -x /usr/sbin/logrotate; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq logrotate >/dev/null; \
	  else echo "logrotate is missing: the log rotation test will be skipped (run as root to install it)"; fi; }

# Debian's chromium for the browser tests, java for the Nu HTML Checker (npm's vnu-jar), and
# nginx (with openssl, for its test certificate) for the deployment test
# (tests/core/test_deploy.py), installed when missing and when we are root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: browser tests will be skipped (run as root to install it)"; fi; }
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	  else echo "java is missing: the HTML validity test will be skipped (run as root to install it)"; fi; }
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl >/dev/null; \
	  else echo "nginx is missing: the deployment test will be skipped (run as root to install it)"; fi; }

run: setup
	$(BIN)/flask seed-demo
	$(BIN)/python -m network --host $(HOST) --port $(PORT)

serve:
	$(BIN)/python -m network --host $(HOST) --port $(PORT)

# SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it and requires it).
test: setup
	$(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL ($$TEST_DATABASE_URL), without the browser tests =="; \
	  TERREAU_TEST_BACKEND=postgresql $(BIN)/pytest -m "not browser" $(PYTEST_ARGS); \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check network tests bench config.py
	$(BIN)/ruff format --check network tests bench config.py
	$(BIN)/mypy

format:
	$(BIN)/ruff format network tests bench config.py
	$(BIN)/ruff check --fix network tests bench config.py

extract-messages:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o network/translations/messages.pot --no-location --sort-output .

# After this, translate the new French entries (the English ones are filled automatically).
update-messages: extract-messages
	$(BIN)/pybabel update -i network/translations/messages.pot -d network/translations --no-fuzzy-matching --ignore-obsolete --width 100
	$(BIN)/python scripts/i18n_fill_en.py

bench: setup
	$(BIN)/python bench/members_bench.py

clean:
	rm -rf $(VENV) node_modules static/vendor
