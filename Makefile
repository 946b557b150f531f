# tally: `make run` builds and serves on :9479; `make test` runs every test. Both install what is missing first.

SWIFT        ?= swift
RELEASE_DIR  := .build/release
TALLY        := $(RELEASE_DIR)/tally
LINK_DIR     := .build/link
# The release binary carries the Swift runtime (--static-swift-stdlib) and is linked by lld: relative relocations
# packed (DT_RELR, 8 KB instead of 960 KB to read at start), libstdc++ taken from its archive through
# $(LINK_DIR)/libstdc++.so (the Swift runtime is its only user), and the functions in Sources/tally/link-order.txt
# placed together (Benchmarks/scripts/link-order.py lists them).
RELEASE_OPTS := -c release --static-swift-stdlib \
	-Xswiftc -Xfrontend -Xswiftc -function-sections \
	-Xswiftc -use-ld=lld -Xswiftc -L$(abspath $(LINK_DIR)) \
	-Xlinker -z -Xlinker pack-relative-relocs \
	-Xlinker --symbol-ordering-file=$(abspath Sources/tally/link-order.txt) -Xlinker --no-warn-symbol-ordering
PYTHON       ?= python3

# Debian packages needed to build, and the real peers the tests run against.
BUILD_PACKAGES := libsystemd-dev libyaml-dev pkg-config zlib1g-dev
TEST_PACKAGES  := prometheus prometheus-node-exporter socat netcat-openbsd curl systemd docker-compose
PIP_PACKAGES   := prometheus_client statsd datadog pytest PyYAML

.PHONY: all build release run test unit integration lint deps test-deps bench clean

all: release

# Installs the Debian packages in $(1) that are not installed yet (with sudo when not root).
define apt_install
	@missing=""; \
	for package in $(1); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call apt_install,$(BUILD_PACKAGES))

test-deps: deps
	$(call apt_install,$(TEST_PACKAGES))
	@$(PYTHON) -c "import prometheus_client, statsd, datadog, pytest, yaml" 2>/dev/null || \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check $(PIP_PACKAGES)

build: deps
	$(SWIFT) build

release: deps $(LINK_DIR)/libstdc++.so
	@# SwiftPM does not know the order file is a link input: relink when it changed.
	@[ ! -e $(TALLY) ] || [ $(TALLY) -nt Sources/tally/link-order.txt ] || rm -f $(TALLY)
	$(SWIFT) build $(RELEASE_OPTS)

# A linker script standing in for libstdc++.so, so that the toolchain's -lstdc++ links the archive; without the
# archive (no libstdc++-dev) the script is not written and the shared library is used.
$(LINK_DIR)/libstdc++.so:
	@mkdir -p $(LINK_DIR)
	@archive=$$($(CC) -print-file-name=libstdc++.a); \
	if [ -f "$$archive" ]; then echo "INPUT($$archive)" > $@; else echo "no libstdc++.a: linking libstdc++.so"; fi

# Serves on :9479. Without root, tally falls back to a push socket under $$XDG_RUNTIME_DIR or /tmp.
run: release
	$(TALLY) serve $(ARGS)

unit: deps
	$(SWIFT) test

integration: test-deps release
	TALLY_BINARY=$(abspath $(TALLY)) $(PYTHON) -m pytest -q Tests/Integration

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

test: test-deps lint unit integration

bench: release
	cd Benchmarks && $(SWIFT) package --disable-sandbox --scratch-path .build-bench benchmark

clean:
	rm -rf .build
