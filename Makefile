# crosslink — the verbs people use. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: help install run test lint format typecheck bench bench-smoke bench-restart bench-encoders bench-rerank eval eval-feedback clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first and pinned: the CPU build; nothing later may pull CUDA wheels.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its pinned dependencies

run: $(STAMP) ## Start the services in the foreground (Ctrl-C stops all)
	$(BIN)/crosslink run

test: $(STAMP) ## Run the test suite (on PostgreSQL too when CROSSLINK_TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check, ruff format --check and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## Benchmarks, crosslink against the naive baseline, side by side (needs wrk)
	$(BIN)/python -m bench

bench-smoke: $(STAMP) ## Every benchmark section on a few profiles (minutes; writes nothing)
	$(BIN)/python -m bench --smoke

bench-restart: $(STAMP) ## Matcher restart to ready on the demo data, median of 3 (BENCH_ARGS=--before DIR)
	$(BIN)/python -m bench.restart $(BENCH_ARGS)

bench-encoders: $(STAMP) ## Candidate encoders side by side: load, query p50 (1 thread), passages/s, memory
	$(BIN)/python -m bench.encoders $(BENCH_ARGS)

bench-rerank: $(STAMP) ## Learned re-ranking of 400 candidates and a linear match on the whole set (BENCH_ARGS=--write)
	$(BIN)/python -m bench.rerank $(BENCH_ARGS)

eval: $(STAMP) ## Quality evaluation: the CORDIS time split, then the cross-lingual needs (docs/QUALITY.md)
	$(BIN)/python -m eval
	$(BIN)/python -m eval.multilingual

eval-feedback: $(STAMP) ## Feedback simulation: does feedback help, can one caller game it (docs/QUALITY.md)
	$(BIN)/python -m eval.feedback

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var
