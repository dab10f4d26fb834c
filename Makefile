# hoinghi: build, run and test.
#
#   make build      debug build of everything (the binary is target/debug/hoinghi)
#   make run        run the pipeline on sample-data/pages into out/
#   make test       fmt-check, clippy, unit tests, end-to-end checks (what CI runs)
#   make duckdb     interactive DuckDB shell with one view per table over out/current
#   make bench      throughput at scale: 10,000 and 100,000 generated pages (release build)
#
# One build per profile: everything here uses the debug profile.

CARGO ?= cargo
PYTHON ?= python3

BIN := target/debug/hoinghi
PIPELINE := pipelines/ward-meetings.toml
VENV := .venv
VPY := $(VENV)/bin/python
E2E := target/e2e
# Snapshot the DuckDB shell opens: make duckdb SNAP=target/e2e/out/current
SNAP ?= out/current

.PHONY: build run venv fmt-check clippy unit e2e test duckdb bench

build:
	$(CARGO) build --all-targets

run: build
	$(BIN) run --pipeline $(PIPELINE) --input sample-data/pages --out out

# The virtualenv is (re)installed only when the requirements change.
venv: $(VENV)/.stamp

$(VENV)/.stamp: tests/e2e/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --disable-pip-version-check --quiet -r tests/e2e/requirements.txt
	touch $@

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

unit:
	$(CARGO) test --all-targets

# Sample pages and bad inputs together in one input folder, so a run must take
# both: the bad ones become quarantined rows and the run still succeeds.
e2e: build venv
	rm -rf $(E2E)/input $(E2E)/out
	mkdir -p $(E2E)/input
	cp -R sample-data/pages/. $(E2E)/input/
	@for f in $$(ls -A sample-data/bad); do \
	  if [ -e "$(E2E)/input/$$f" ]; then \
	    echo "e2e: sample-data/bad/$$f has the same name as a file in sample-data/pages" >&2; exit 1; \
	  fi; \
	done
	cp -R sample-data/bad/. $(E2E)/input/
	$(BIN) run --pipeline $(PIPELINE) --input $(E2E)/input --out $(E2E)/out
	$(VPY) tests/e2e/check_snapshot.py $(E2E)/out --input $(E2E)/input --quarantined sample-data/bad
	$(VPY) tests/e2e/readme_queries.py README.md $(E2E)/out/current
	$(VPY) tests/e2e/run_notebook.py examples/analysis.ipynb $(E2E)/out/current $(E2E)/figures
	$(VPY) tests/e2e/score_gate.py
	@# The second batch of pages, written apart from the rules (sample-data/holdout).
	rm -rf $(E2E)/holdout-out
	$(BIN) run --pipeline $(PIPELINE) --input sample-data/holdout --out $(E2E)/holdout-out
	$(VPY) tests/e2e/score_gate.py --snapshot $(E2E)/holdout-out/current \
	  --gold sample-data/holdout-expected.json --floors tests/e2e/holdout_floors.json
	@# The shared seed pages, read in place from ../shared (never copied into the repo),
	@# held to the extraction bar of issue 4.
	@if [ -d ../shared/seeds ]; then \
	  rm -rf $(E2E)/seeds-out && \
	  $(BIN) run --pipeline $(PIPELINE) --input ../shared/seeds --out $(E2E)/seeds-out && \
	  $(VPY) tests/e2e/score_gate.py --snapshot $(E2E)/seeds-out/current \
	    --gold ../shared/eval/gold/seeds.json --floors tests/e2e/seed_floors.json; \
	else echo "e2e: ../shared/seeds absent, seed scoring skipped"; fi

test: fmt-check clippy unit e2e

# The duckdb-cli package in the venv ships the real DuckDB shell; sql/views.sql
# is loaded at start with ${SNAP} replaced by the snapshot path.
duckdb: venv
	@test -e "$(SNAP)" || { echo "no snapshot at $(SNAP): run 'make run' first" >&2; exit 1; }
	@mkdir -p target
	sed 's|$${SNAP}|$(SNAP)|g' sql/views.sql > target/views.sql
	$(VENV)/bin/duckdb -init target/views.sql

# Not part of `make test`: it builds the release profile and takes minutes.
# Sizes: make bench BENCH_SIZES="10000 100000 1000000"
BENCH_SIZES ?= 10000 100000
bench:
	$(CARGO) build --release
	scripts/bench.sh $(BENCH_SIZES)
