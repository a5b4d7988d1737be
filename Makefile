# The two set-up commands: `make demo` and `make test`. Each bootstraps .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo lint test dev schema clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,rocksdb]'
	touch $(STAMP)

demo: $(STAMP)  ## the built-in sample through the embedded broker and a worker
	$(BIN)/comeback demo

lint: $(STAMP)  ## the layer contracts, ruff (lint and format) and mypy (strict on the core)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint  ## the lint, then unit, contract and integration tests (both real brokers and redis-server on 127.0.0.1)
	$(BIN)/python -m pytest -q || { $(BIN)/python -m streams.tools.kafka_broker --note-skip; exit 1; }
	@$(BIN)/python -m streams.tools.kafka_broker --note-skip  # the Apache Kafka half needs java and mvn

dev: $(STAMP)  ## the embedded stack on the wall clock until Ctrl-C
	$(BIN)/comeback dev

schema: $(STAMP)  ## JSON Schema and AsyncAPI into schema-out/
	$(BIN)/comeback schema --out schema-out

clean:
	rm -rf $(VENV) schema-out comeback-data tests/contract/asyncapi_check/node_modules
