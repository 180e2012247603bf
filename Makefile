# Two commands for a fresh machine with only Python 3.11+:
#   make demo   - create .venv, install, run a whole simulated campaign
#   make test   - create .venv, install, run the whole test suite
PYTHON ?= python3
VENV := .venv
UV := .tools/bin/uv

.PHONY: demo test test-postgres lint bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/postlive demo

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q

# The suite on a throw-away PostgreSQL server (needs its binaries; CI runs both).
test-postgres: $(VENV)/.installed
	bash .ci/run --postgres

# ruff; the layer contracts (pyproject [tool.importlinter]); mypy over bot/ and adapters/.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check bot adapters tests benchmarks
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .tools demo-output
