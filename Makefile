# EnterCRM: make up | down | test | bench | build | status | logs
#
# The stack of `make up` lives in $(RUN_DIR) (default .run); `make test` uses .run/test and
# `make bench` .run/bench, on ports of their own, so the three never collide.

SHELL := /bin/bash
RUN_DIR ?= .run
export RUN_DIR
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: help up down test fuzz chaos soak bench build build-debug status logs deps

help:
	@echo "make up      build (release) and start MariaDB, nginx, the pool and the job runner"
	@echo "make down    stop everything that make up started"
	@echo "make test    unit, integration and end-to-end tests on a throwaway stack"
	@echo "make fuzz    schemathesis on every operation of openapi.yaml, long (ENTERCRM_FUZZ_EXAMPLES, default 50 per operation)"
	@echo "make chaos   faults under load (kill -9 worker, nginx and pool reload, MariaDB restart, job runner killed mid-campaign and mid-automation, the database's disk full), ENTERCRM_CHAOS_ROUNDS rounds (default 5)"
	@echo "make soak    mixed workload (tracking 70%, reads 20%, writes 10%) at 70% of measured capacity for SOAK_MINUTES (default 30); run it on a machine doing nothing else"
	@echo "make bench   wrk through nginx: static file, C FastCGI hello, GET /v1/health; the tracking and customer targets beside C database responders"
	@echo "make status  what is running;  make logs: follow the logs"

deps:
	@scripts/deps.sh

build:
	swift build -c release --product entercrm

build-debug:
	swift build

up: deps build
	ENTERCRM_BIN=$(CURDIR)/.build/release/entercrm scripts/stack.sh up

down:
	@if [ -f "$(RUN_DIR)/entercrm.env" ]; then scripts/stack.sh down; else echo "nothing to stop in $(RUN_DIR)"; fi

status:
	@if [ -f "$(RUN_DIR)/entercrm.env" ]; then scripts/stack.sh status; else echo "no stack in $(RUN_DIR) (make up starts one)"; fi

logs:
	@tail -n 40 -F $(RUN_DIR)/log/*.log $(RUN_DIR)/nginx/logs/error.log $(RUN_DIR)/nginx/logs/access.log

test: deps
	scripts/test.sh

fuzz: deps
	scripts/fuzz.sh

chaos: deps
	scripts/chaos.sh

soak: deps build
	Tests/bench/soak.sh

# Each bench appends its paths to $(BENCH_RESULTS) (Tests/bench/result.sh), emptied first; a
# bench that fails is a FAIL line and the others still run; the last step prints the one
# table and appends it to docs/benchmarks.md (Tests/bench/summary.py).
BENCH_RESULTS ?= $(abspath $(RUN_DIR))/bench-results.tsv
export BENCH_RESULTS
BENCHES := bench crm_bench segments_bench automations_bench campaign_bench cluster_bench

bench: deps build
	@mkdir -p "$(dir $(BENCH_RESULTS))" && : >"$(BENCH_RESULTS)"
	@for b in $(BENCHES); do \
	  Tests/bench/$$b.sh || Tests/bench/result.sh $$b.sh "Tests/bench/$$b.sh ran to the end" $$? "exit status" "" "" "== 0"; \
	done
	python3 Tests/bench/summary.py --results "$(BENCH_RESULTS)"

# ---------------------------------------------------------------------------------------
# Beyond one machine (scripts/cluster.sh): a 3-node Galera cluster and two pools behind one
# nginx, on 127.0.0.1 ports 41xxx, under .run/cluster. See docs/deploy.md, docs/scaling.md.
.PHONY: cluster-up cluster-down cluster-status cluster-test cluster-chaos backup-test bench-cluster

cluster-up: deps build-debug
	scripts/cluster.sh up

cluster-down:
	scripts/cluster.sh down

cluster-status:
	scripts/cluster.sh status

cluster-test: deps build-debug
	scripts/cluster-test.sh

cluster-chaos: deps build-debug
	scripts/cluster-chaos.sh

backup-test: deps build-debug
	scripts/backup-test.sh

# Only the scaling part of make bench: one pool vs two, single MariaDB vs the cluster.
bench-cluster: deps build
	Tests/bench/cluster_bench.sh
