# The README's quick start: `make demo` and `make test`. Each builds its own virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The package alone: enough for the demo.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Tests need the dev tools and PySpark (the Spark engine is held equal to the others).
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/trustledger demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/score.py
	$(BIN)/python bench/ingest.py --records 200000
	$(BIN)/python bench/checks.py
	$(BIN)/python bench/rescore.py --subjects 200000 --records 2000000
	$(BIN)/python bench/spark_scaling.py --records 250000,2000000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis trustledger-demo.db*

# The pages' messages: extract them, then merge into the catalogs (translate the new ones in
# src/trustledger/web/locale/*/LC_MESSAGES/messages.po; they are compiled when first used).
LOCALE := src/trustledger/web/locale
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -o $(LOCALE)/messages.pot --no-location --sort-output \
	  --project trustledger .
	$(BIN)/pybabel update -N -i $(LOCALE)/messages.pot -d $(LOCALE) --no-wrap
