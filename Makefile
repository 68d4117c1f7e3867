# Opinia. `make run` serves the demo portal with a worker and beat; `make test` runs everything.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest install locale messages clean bench-data

$(PY):
	@PYTHON=$$(scripts/find-python.sh) && echo "Creating $(VENV) with $$PYTHON" && "$$PYTHON" -m venv $(VENV)

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

# Compile the translation catalogues (.mo files are build output, not committed).
locale: $(STAMP)
	@scripts/system-deps.sh gettext
	@DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv --ignore=var -v0

# Re-extract the catalogues after changing strings (developers only).
APPS := portal messaging feedback disputes webhooks api trust
# Coverage of the whole suite, printed at the end; the run fails below the floor.
COVERAGE_FLOOR ?= 90
COVERAGE ?= --cov --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)
EXTRACT ?= $(APPS)
messages: $(STAMP)
	@for app in $(EXTRACT); do \
	  others=$$(for o in $(APPS); do [ $$o = $$app ] || printf -- "--ignore=%s --ignore=templates/%s " $$o $$o; done); \
	  extra=$$([ $$app = portal ] || echo "--ignore=base.html --ignore=templates/allauth --ignore=templates/account --ignore=search_form.html"); \
	  echo "Extracting $$app"; \
	  OPINIA_EXTRACT_APP=$$app DEBUG=1 $(PY) manage.py makemessages --no-obsolete --no-location -l pl -l zh_Hans -l ko -l gu -v0 \
	    --ignore=.venv --ignore=var --ignore=bench --ignore='*/tests/*' --ignore=conftest.py $$others $$extra; \
	done

run: locale
	@scripts/run-dev.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint --lint templates
	@# Models and migrations must agree (settings refuse to load without DEBUG or a SECRET_KEY).
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

typecheck: $(STAMP)
	OPINIA_TESTING=1 $(VENV)/bin/mypy .

pytest: locale
	@if [ -n "$${CI:-}" ] || [ -n "$${OPINIA_BROWSER_TESTS:-}" ]; then scripts/system-deps.sh chromium; fi
	OPINIA_TESTING=1 CELERY_TASK_ALWAYS_EAGER=1 $(VENV)/bin/pytest -n 2 --dist loadgroup $(COVERAGE) $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
