# The commands of the README: `make demo`, `make serve` and `make test` (and `make bench`).
# Python: pyenv picks 3.13 from .python-version; elsewhere any python3 >= 3.12.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The sandbox tenant's own server in the demo (Procfile): the next port, threads enough for every
# page's Graph calls waiting out the sandbox's latency at once.
SANDBOX_PORT ?= $(shell echo $$(($(PORT) + 1)))
SANDBOX_THREADS ?= 32

.PHONY: demo serve test bench bench-sweep chromium services clean

$(VENV)/created:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python >= 3.12 is needed (found " + sys.version.split()[0] + "); install 3.13 or set PYTHON=")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/runtime: $(VENV)/created requirements.txt
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/dev: $(VENV)/runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The development server, on the next port the sandbox tenant's own server, and the task worker and
# scheduler (Procfile).
demo: export HOST := $(HOST)
demo: export PORT := $(PORT)
demo: export SANDBOX_PORT := $(SANDBOX_PORT)
demo: export SANDBOX_THREADS := $(SANDBOX_THREADS)
demo: export SANDBOX_LOOPBACK_URL ?= http://127.0.0.1:$(SANDBOX_PORT)
demo: $(VENV)/runtime
	$(PY) manage.py migrate --no-input
	$(PY) manage.py sandbox seed --if-empty
	@echo "Membership Desk on the sandbox tenant: http://$(HOST):$(PORT)/ (the sandbox's own server on port $(SANDBOX_PORT))"
	exec $(VENV)/bin/honcho --no-colour start demo sandbox worker scheduler

# gunicorn (gunicorn.conf.py: HOST, PORT, WEB_CONCURRENCY, THREADS) with DEBUG off, whitenoise
# serving the collected static files, and a JSON log line per request. With ENTRA_CLIENT_ID set it
# is production (the settings refuse to start without the rest). Without it, a demo server on the
# sandbox tenant: an explicit opt-in (DEMO_SERVER), on loopback, its Graph and sign-in calls sent
# to the sandbox tenant's own server on the next port (Procfile), and a secret key generated once
# into var/ unless SECRET_KEY is set.
serve: export DEBUG = 0
serve: export LOG_FORMAT ?= json
serve: export HOST := $(HOST)
serve: export PORT := $(PORT)
ifeq ($(ENTRA_CLIENT_ID),)
serve: export DEMO_SERVER = 1
serve: export SANDBOX_PORT := $(SANDBOX_PORT)
serve: export SANDBOX_THREADS := $(SANDBOX_THREADS)
serve: export SANDBOX_LOOPBACK_URL ?= http://127.0.0.1:$(SANDBOX_PORT)
endif
serve: $(VENV)/runtime
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
ifeq ($(ENTRA_CLIENT_ID),)
	$(PY) manage.py sandbox seed --if-empty
	@echo "Membership Desk demo server on the sandbox tenant (DEBUG off): http://$(HOST):$(PORT)/ (the sandbox's own server on port $(SANDBOX_PORT))"
	exec $(VENV)/bin/honcho --no-colour start web sandbox worker scheduler
else
	exec $(VENV)/bin/honcho --no-colour start web worker scheduler
endif

# Browser tests drive Debian's Chromium (/usr/bin/chromium); install it when missing and root.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) >/dev/null; \
	  else echo "Install Debian's chromium package (sudo apt-get install chromium) for the browser tests." >&2; exit 1; fi; \
	fi

# The production-configuration tests use PostgreSQL and Redis on loopback: start them when
# they are installed but not running (CI machines start them; a laptop may not have them).
services:
	@if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; fi
	@if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then \
	  mkdir -p /var/lib/redis /var/log/redis; \
	  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true; \
	  for i in $$(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done; fi

# Where PostgreSQL and Redis are installed (services has started them), their tests run, not skip.
test: $(VENV)/dev chromium services
	REQUIRE_SERVICES=$$(command -v pg_ctlcluster >/dev/null && command -v redis-server >/dev/null && echo 1) $(PY) -m pytest

# Against its own gunicorn demo server with 50 ms of Graph latency; writes bench/RESULTS.md (a few minutes).
bench: $(VENV)/dev
	$(PY) bench/bench.py

# The sweep's throughput (due expiries removed per minute, one worker and two) on PostgreSQL with
# 50 ms of Graph latency; writes its own section of bench/RESULTS.md (a minute or two).
bench-sweep: $(VENV)/dev services
	$(PY) bench/sweep.py

clean:
	rm -rf $(VENV) db.sqlite3
