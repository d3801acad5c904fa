# The entry point. `make` builds, `make test` builds and runs every test,
# `make run` starts the demo instance, `make install PREFIX=...`, `make bench`,
# `make fuzz` (libFuzzer, clang, in build-fuzz/; tests/fuzz/README.md).
# `make test SANITIZE=address,undefined` builds into build-sanitize/ with
# ASan and UBSan and runs every unit and system test there.
# Each target first installs what a fresh Debian 12 machine lacks
# (scripts/install-deps.sh: quiet, and a no-op when nothing is missing).

SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD   ?= build
else
# make test SANITIZE=address,undefined: a separate build with the sanitizers
BUILD   ?= build-sanitize
CMAKE_FLAGS += -DMTA_SANITIZE=$(SANITIZE)
endif
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

.PHONY: all build configure deps test-deps test faults run install bench fuzz format clean

all: build

deps:
	@sh scripts/install-deps.sh --build

test-deps:
	@sh scripts/install-deps.sh --test

configure:
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	  cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null; \
	fi

build: deps configure
	@cmake --build $(BUILD) -j $(JOBS)

test: test-deps build
	@rm -f /tmp/mta-sanitizer.*
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900
	@if [ -n "$(SANITIZE)" ]; then n=$$(ls /tmp/mta-sanitizer.* 2>/dev/null | wc -l); \
	  echo "sanitizer reports: $$n"; [ "$$n" -eq 0 ] || { head -50 /tmp/mta-sanitizer.*; exit 1; }; fi

# The full fault campaign (tests/test_faults.py): 2,000 messages per
# scenario, every daemon killed, reload x10, stop/start, master killed.
# `make test` runs its short form.
faults: test-deps build
	@cd tests && MTA_FAULTS_FULL=1 MTA_BIN=$(CURDIR)/$(BUILD)/bin MTA_SOURCE=$(CURDIR) \
	  python3 -m unittest -v test_faults

run: build
	@sh scripts/run-demo.sh $(BUILD)

# Installing compiles the directory defaults for PREFIX into the programs,
# so it builds in its own tree and leaves build/ (tests, demo) as it is.
install: deps
	@cmake -S . -B $(BUILD)-install -G Ninja -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DMTA_STRICT_PARAMS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD)-install -j $(JOBS)
	@cmake --install $(BUILD)-install

bench: test-deps build
	@sh scripts/run-bench.sh $(BUILD)

# Fuzzing: its own build tree with clang (ASan, UBSan, libFuzzer), then each
# target for FUZZ_SECONDS on its corpus (FUZZ_TARGETS: only these).
fuzz:
	@sh scripts/install-deps.sh --fuzz
	@if [ ! -f $(FUZZ_BUILD)/build.ninja ]; then \
	  cmake -S . -B $(FUZZ_BUILD) -G Ninja -DMTA_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
	    $(CMAKE_FLAGS) >/dev/null; \
	fi
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all
	@sh scripts/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Every C++ file of the repository (the build trees excepted).
format:
	@find . \( -path './build*' -o -path './.git' \) -prune -o \( -name '*.cpp' -o -name '*.h' \) \
	  -print | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD)-install $(FUZZ_BUILD)
