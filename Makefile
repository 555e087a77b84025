# cs_lab — the README's two commands are `make experiments` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# Raw data: $CS_LAB_DATA_DIR/<dataset>/<file>; defaults to ../shared/datasets when it exists.
ifeq ($(origin CS_LAB_DATA_DIR), undefined)
  ifneq ($(wildcard ../shared/datasets),)
    CS_LAB_DATA_DIR := $(abspath ../shared/datasets)
  else
    CS_LAB_DATA_DIR := $(CURDIR)/data
  endif
endif
CS_LAB_CACHE_DIR ?= $(CURDIR)/.cache/cs_lab
export CS_LAB_DATA_DIR CS_LAB_CACHE_DIR

DATASETS ?= online_retail online_retail_ii groceries ta_feng complete_journey
PYTEST_ARGS ?=

.PHONY: setup setup-spark test test-fast mutation plants experiments data bench notebooks mlflow-ui serve experiments-next-basket clean help

help:
	@echo "make experiments  install (first time) and run the default experiment suite"
	@echo "make test         install (first time) and run unit + integration tests"
	@echo "make experiments-next-basket   the next-basket specs (Complete Journey, Ta Feng; docs/tasks.md)"
	@echo "make mutation     mutation score of the core modules (docs/testing.md; MUTATION_ARGS=\"--sample 50\")"
	@echo "make plants       replay the planted bugs of docs/testing.md: each must be caught"
	@echo "make bench        peer benchmarks (benchmarks/README.md)"
	@echo "make notebooks    results + dataset report notebooks of the latest run of EXPERIMENT, HTML in reports/"
	@echo "make mlflow-ui    serve the MLflow UI on http://127.0.0.1:5000"
	@echo "make serve MODEL=runs:/<run id>/model   serve a logged recommender on http://127.0.0.1:5001/invocations"

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# the tests also cover the Spark engine: its optional extra is installed on first `make test`
setup-spark: $(VENV)/.installed-spark

$(VENV)/.installed-spark: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $@

test: setup setup-spark
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m "not integration and not slow" $(PYTEST_ARGS)

# Mutation testing (docs/testing.md): every mutant of the core modules, each in a throw-away copy of
# the package, against its mapped tests; one process. A full run takes about an hour here.
MUTATION_ARGS ?=
mutation: setup
	$(BIN)/python -m tests.mutation.mutate $(MUTATION_ARGS)

plants: setup
	$(BIN)/python -m tests.mutation.plants $(PLANTS_ARGS)

data: setup
	@for d in $(DATASETS); do $(BIN)/cs-lab data prepare $$d || exit 1; done

# in this order with JOBS=2 each cross-sell spec starts after its standard spec is well ahead, so it
# loads the standard spec's tuning-trial and model fits of the same points instead of waiting for them
SUITE ?= experiments/complete_journey.yaml experiments/online_retail.yaml experiments/complete_journey_explore.yaml experiments/online_retail_explore.yaml experiments/online_retail_tactics.yaml
# next-basket prediction (docs/tasks.md): `make experiments-next-basket`
NEXT_BASKET := experiments/complete_journey_next_basket.yaml experiments/ta_feng_next_basket.yaml
JOBS ?= 2
RUN_ARGS ?=

# The default suite: on The Complete Journey and (when its raw file is present) UCI Online Retail, the
# standard basket-completion task and the cross-sell (explore) task; every model tuned with a modest
# Optuna budget, 3 rolling test windows, 3 seeds; tracked in ./mlflow.db. JOBS specs run at once.
experiments: setup
	$(BIN)/cs-lab run $(SUITE) --skip-missing-data --jobs $(JOBS) $(RUN_ARGS)

experiments-next-basket: setup
	$(BIN)/cs-lab run $(NEXT_BASKET) --skip-missing-data --jobs $(JOBS) $(RUN_ARGS)

bench: setup
	$(BIN)/python -m benchmarks $(BENCH)

EXPERIMENT ?= complete_journey_basket_completion
REPORTS ?= reports

# The report notebooks (notebooks/*.ipynb) executed headless against the latest complete run of
# EXPERIMENT in ./mlflow.db; HTML, executed notebooks and PNGs in $(REPORTS)/$(EXPERIMENT)/ (docs/reports.md).
notebooks: setup
	$(BIN)/cs-lab report $(EXPERIMENT) --out $(REPORTS)

mlflow-ui: setup
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(BIN)/mlflow ui --host 127.0.0.1 --port 5000 \
		--backend-store-uri sqlite:///mlflow.db

# A logged model (a model run's MLflow 3 logged model named `model`) as a REST endpoint; the venv's bin goes first on PATH
# because mlflow starts `uvicorn` from PATH. POST {"dataframe_split": {"columns": ["cart"], "data": [[["id1", "id2"]]]}}
serve: setup
	@test -n "$(MODEL)" || { echo "make serve MODEL=runs:/<run id>/model (see the model run in make mlflow-ui)"; exit 2; }
	PATH="$(abspath $(BIN)):$$PATH" MLFLOW_TRACKING_URI=sqlite:///$(CURDIR)/mlflow.db \
		$(BIN)/mlflow models serve -m "$(MODEL)" --env-manager local -h 127.0.0.1 -p 5001

clean:
	rm -rf .cache .pytest_cache build *.egg-info
