# gradschool. `make help` lists the targets. Every target sets up .venv on first use; then
# `source .venv/bin/activate` puts the `grader` command on your PATH.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
GRADER := $(PY) -m grader
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
PHASES := $(addprefix phase,1 2 3 4 5 6 7)
.PHONY: help check test stubs mutants milestones doctor bench clang-note $(PHASES)

help: ## this list
	@grep -hE '^[$$()A-Za-z0-9%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^\$$\(PHASES\)/phaseN/; s/^([^:]+):.*## (.*)/  make \1\t\2/' | expand -t 22

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) (first run only, about a minute)..."
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e .
	@touch $(STAMP)

clang-note:
	@command -v clang >/dev/null || echo "note: clang is missing; tinygrad's CPU backend (phases 4-7) needs it: sudo apt-get install -y clang"

$(PHASES): phase%: $(STAMP) clang-note ## (phase1 ... phase7) visible tests of one phase against your code
	@$(GRADER) phase $*

check: $(STAMP) clang-note ## your scoreboard: visible + hidden checks + milestones (= grader check)
	@$(GRADER) check

test: $(STAMP) clang-note ## contributors: the self-test (every check against the reference, stubs, mutants, ...; long)
	@$(PY) -m pytest grader/tests --target=reference -n auto --dist worksteal

stubs: $(STAMP) ## regenerate stubs from solutions (keeps your edited files; see grader stubs --help)
	@$(GRADER) stubs

mutants: $(STAMP) ## which realistic wrong implementations the checks catch, per exercise
	@$(GRADER) mutants

milestones: $(STAMP) clang-note ## full-tier milestone runs with the reference (long: GPU or patience)
	@for id in $$($(PY) -c "from grader import registry; print(' '.join(e.id for e in registry.exercises() if e.milestone))"); do \
		$(GRADER) milestone $$id --full --reference || exit 1; done

bench: $(STAMP) clang-note ## speed on this machine: learner loop, milestone steps next to PyTorch CPU
	@$(PY) -m grader.bench

doctor: $(STAMP) ## check Python, tinygrad, clang, device and data
	@$(GRADER) doctor
