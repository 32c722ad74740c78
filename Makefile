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

train: $(VENV)/.installed  ## trains best.yaml; offline: ARGS="--data.dataset imagefolder --data.root <ImageFolder copy of CIFAR-10>"
	$(PY) -m train fit --config $(CONFIG) $(ARGS)

bench: $(VENV)/.installed  ## saves benchmarks/results/*.json; ARGS=--write-readme also rewrites RESULTS.md and README.md
	$(PY) -m benchmarks $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean:  ## everything built or downloaded here, CIFAR-10 in data/ included
	rm -rf $(VENV) runs lightning_logs data .pytest_cache .ruff_cache .hypothesis *.egg-info
