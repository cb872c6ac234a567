# EnterCRM: make up | down | test | bench | build | status | logs
#
# The stack of `make up` lives in $(RUN_DIR) (default .run); `make test` uses .run/test and
# `make bench` .run/bench, on ports of their own, so the three never collide.

SHELL := /bin/bash
RUN_DIR ?= .run
export RUN_DIR
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: help up down test bench build build-debug status logs deps

help:
	@echo "make up      build (release) and start MariaDB, nginx, the pool and the job runner"
	@echo "make down    stop everything that make up started"
	@echo "make test    unit, integration and end-to-end tests on a throwaway stack"
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

bench: deps build
	Tests/bench/bench.sh
	Tests/bench/crm_bench.sh
	Tests/bench/segments_bench.sh
	Tests/bench/automations_bench.sh
	Tests/bench/campaign_bench.sh
