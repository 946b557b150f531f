# tally: `make run` builds and serves on :9479; `make test` runs every test. Both install what is missing first.

SWIFT        ?= swift
RELEASE_DIR  := .build/release
TALLY        := $(RELEASE_DIR)/tally
LINK_DIR     := .build/link
# The release binary carries the Swift runtime (--static-swift-stdlib) and is linked by lld: relative relocations
# packed (DT_RELR, 8 KB instead of 960 KB to read at start), libstdc++, libgcc_s, zlib and libyaml taken from their
# archives through linker scripts in $(LINK_DIR) (each shared library costs every start, `tally push` too, its
# loading and relocation), and the functions in Sources/tally/link-order.txt placed together
# (Benchmarks/scripts/link-order.py lists them).
RELEASE_OPTS := -c release --static-swift-stdlib \
	-Xswiftc -Xfrontend -Xswiftc -function-sections \
	-Xswiftc -use-ld=lld -Xswiftc -L$(abspath $(LINK_DIR)) \
	-Xlinker -z -Xlinker pack-relative-relocs \
	-Xlinker --symbol-ordering-file=$(abspath Sources/tally/link-order.txt) -Xlinker --no-warn-symbol-ordering
PYTHON       ?= python3

# Debian packages needed to build, and the real peers the tests run against.
BUILD_PACKAGES := libsystemd-dev libyaml-dev zlib1g-dev
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

STATIC_LIBRARIES := $(LINK_DIR)/libstdc++.so $(LINK_DIR)/libz.so $(LINK_DIR)/libyaml.so $(LINK_DIR)/libgcc_s.so

release: deps $(STATIC_LIBRARIES)
	@# SwiftPM does not know the order file and the linker scripts are link inputs: relink when one changed.
	@for input in Sources/tally/link-order.txt $(STATIC_LIBRARIES); do \
	  [ ! -e $(TALLY) ] || [ $(TALLY) -nt $$input ] || rm -f $(TALLY); \
	done
	$(SWIFT) build $(RELEASE_OPTS)

# A linker script standing in for lib<name>.so, so that -l<name> (from the toolchain or a module map) links the
# archive; without the archive the script is not written and the shared library is used. libgcc_s, the unwinder,
# has its archive under another name.
$(LINK_DIR)/lib%.so:
	@mkdir -p $(LINK_DIR)
	@archive=$$($(CC) -print-file-name=$(if $(filter gcc_s,$*),libgcc_eh.a,lib$*.a)); \
	if [ -f "$$archive" ]; then echo "INPUT($$archive)" > $@; else echo "no archive for lib$*: linking lib$*.so"; fi

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
