# ns-plug — outside an OpenWrt build tree this is a plain developer Makefile.
# (The OpenWrt package definition, used when TOPDIR is set, is added by the packaging work.)

SRC := $(shell find src -name '*.ts') build.mjs package-lock.json

.PHONY: all build deps test demo bench clean typecheck

all: build

build: dist/ns-plug.js

dist/ns-plug.js: $(SRC) node_modules/.package-lock.json
	node build.mjs

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

deps:
	sh scripts/install-deps.sh

typecheck: deps
	npx tsc --noEmit

test: deps
	npx tsc --noEmit
	node test/run.mjs

demo: deps build
	node --import tsx demo/run.ts

bench: deps build
	node bench/run.mjs

clean:
	rm -rf dist
