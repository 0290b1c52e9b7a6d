# Soporte — the two commands are `make run` and `make test`; everything else is a step of theirs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
TOOLS      := .tools/venv
UV         := $(TOOLS)/bin/uv
VENV       := .venv
PY         := $(VENV)/bin/python
SOPORTE    := $(VENV)/bin/soporte
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export UV_PYTHON_DOWNLOADS := never

.PHONY: help run test lint format test-scale chaos deps python-deps system-deps infra-up infra-down infra-status clean bench test-unit schemas

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: deps ## start Kafka, PostgreSQL, the mail sink and every service in the foreground (Ctrl-C stops all)
	$(SOPORTE) run

test: deps lint ## install what is missing, lint, then run the whole suite (starts and stops the stack it needs)
	$(PY) -m pytest

lint: python-deps ## ruff: the lint rules and the format of pyproject.toml (fix with `make format`)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: python-deps ## apply ruff's fixes and format
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test-scale: deps ## 20 SLA worker takeovers under load (SOPORTE_TEST_TAKEOVERS=N): lost clocks, missed and duplicate escalations
	$(PY) -m pytest -m scale tests/integration/sla

chaos: deps ## every component SIGKILLed under load on a private stack, 3 rounds each (SOPORTE_CHAOS_ROUNDS=N): counts and violations
	$(PY) -m pytest -m chaos -s tests/chaos

test-unit: python-deps ## only the tests that need no infrastructure
	$(PY) -m pytest tests/unit

deps: python-deps system-deps ## everything the project needs on this machine

$(UV):
	@echo "[soporte] installing uv $(UV_VERSION) into $(TOOLS)"
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

python-deps: $(UV) ## the Python packages pinned in uv.lock, into .venv
	@echo "[soporte] syncing Python packages from uv.lock"
	$(UV) sync --frozen

# chromium: Playwright drives Debian's (no browser download). dovecot-imapd: the mail-in tests start their own
# loopback-only Dovecot from a config of theirs; the system service the package enables (ports 143/993) is not
# wanted, so where systemd runs it is disabled again right after this step installed it.
system-deps: ## Debian packages the tests drive: chromium (browser tests) and dovecot-imapd (IMAP tests)
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	[ -x /usr/sbin/dovecot ] || command -v dovecot >/dev/null || missing="$$missing dovecot-imapd"; \
	if [ -n "$$missing" ]; then \
	  echo "[soporte] installing Debian's$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing || exit 1; \
	  case "$$missing" in *dovecot*) if [ -d /run/systemd/system ]; then \
	    echo "[soporte] disabling the system's dovecot service (the tests start their own)"; \
	    $(SUDO) systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true; fi;; esac; \
	fi

infra-up: python-deps ## start the local Kafka, PostgreSQL and SMTP sink (idempotent) and print their addresses
	$(SOPORTE) infra up

infra-down: ## stop them, keeping their data
	@if [ -x $(SOPORTE) ]; then $(SOPORTE) infra down; fi

infra-status: ## which parts run, and where
	$(SOPORTE) infra status

clean: ## stop the stack and delete its data (.local/) and test artifacts
	@if [ -x $(SOPORTE) ]; then $(SOPORTE) infra clean; fi
	rm -rf .local test-artifacts .pytest_cache

schemas: python-deps ## re-export the event JSON Schemas after a contract change
	$(SOPORTE) events export-schemas

bench: python-deps ## speed targets (never asserted in tests)
	$(PY) -m tests.bench.run
