# Two entry points, each bootstrapping the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CONFIG ?= train/configs/best.yaml
ARGS   ?=

.PHONY: test train lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[train,graph,dev]"
	touch $@

test: $(VENV)/.installed  ## ruff, then the whole suite twice: kernels on (the default), then the formulas alone
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q $(ARGS)
	TORCHLAYERS_KERNELS=0 $(PY) -m pytest -q $(ARGS)

train: $(VENV)/.installed  ## trains best.yaml; ARGS="--data.root ../shared/data/cifar10-5k --data.dataset imagefolder" offline
	$(PY) -m train fit --config $(CONFIG) $(ARGS)

bench: $(VENV)/.installed
	$(PY) -m benchmarks $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) runs lightning_logs .pytest_cache .ruff_cache
