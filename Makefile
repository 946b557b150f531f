# tally: `make run` builds and serves on :9479; `make test` runs every test. Both install what is missing first.

SWIFT        ?= swift
RELEASE_DIR  := .build/release
TALLY        := $(RELEASE_DIR)/tally
# A release binary that carries the Swift runtime, so it needs no Swift installation where it runs.
# lld (the toolchain's linker), because gold cannot pack relative relocations;
# DT_RELR: the loader reads and applies ~8 KB of relocations instead of ~1 MB at every start (tally push included).
RELEASE_OPTS := -c release --static-swift-stdlib -Xswiftc -use-ld=lld -Xswiftc -Xlinker -Xswiftc -z -Xswiftc -Xlinker -Xswiftc pack-relative-relocs
PYTHON       ?= python3

# Debian packages needed to build, and the real peers the tests run against.
BUILD_PACKAGES := libsystemd-dev libyaml-dev zlib1g-dev
TEST_PACKAGES  := prometheus prometheus-node-exporter socat netcat-openbsd curl systemd docker-compose
PIP_PACKAGES   := prometheus_client statsd datadog pytest PyYAML opentelemetry-sdk opentelemetry-exporter-otlp-proto-http

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
	@$(PYTHON) -c "import prometheus_client, statsd, datadog, pytest, yaml, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http" 2>/dev/null || \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check $(PIP_PACKAGES)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_OPTS)

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
