#!/usr/bin/env bash
# Runs systemd-analyze from Debian's bookworm-backports (systemd 254) without touching the system's systemd.
#
#   Tests/Integration/tools/systemd-analyze.sh [systemd-analyze arguments...]
#   Tests/Integration/tools/systemd-analyze.sh --print-root    # the directory the packages are unpacked into
#
# Debian 12 ships systemd 252, which does not know Type=notify-reload (253), so its `systemd-analyze verify` rejects
# tally.service. This script downloads the backports' systemd and libsystemd-shared packages with apt-get (a private
# sources file, made from the system's /etc/apt/sources.list.d/debian.sources with only its Suites changed, and
# private apt state and cache, so the system's apt configuration and packages stay as they are), unpacks them with
# dpkg -x, and runs the unpacked systemd-analyze against the unpacked private libraries.
#
# Everything lives in one cache directory, reused by later runs (the first run downloads about 5 MB):
#   SYSTEMD_BACKPORTS_CACHE   default: <repository>/.build/systemd-backports
#   SYSTEMD_BACKPORTS_SUITE   default: bookworm-backports
set -euo pipefail

script_directory="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repository="$(cd "$script_directory/../../.." && pwd)"
cache="${SYSTEMD_BACKPORTS_CACHE:-$repository/.build/systemd-backports}"
suite="${SYSTEMD_BACKPORTS_SUITE:-bookworm-backports}"
root="$cache/root"
packages=(systemd libsystemd-shared)

fail() {
    echo "systemd-analyze.sh: $*" >&2
    exit 2
}

# The directory holding libsystemd-shared-<version>.so in the unpacked tree, or nothing.
private_library_directory() {
    local library
    for library in "$root"/usr/lib/*/systemd/libsystemd-shared-*.so "$root"/usr/lib/systemd/libsystemd-shared-*.so \
        "$root"/lib/*/systemd/libsystemd-shared-*.so "$root"/lib/systemd/libsystemd-shared-*.so; do
        if [ -f "$library" ]; then
            dirname "$library"
            return
        fi
    done
}

is_unpacked() {
    [ -f "$cache/unpacked" ] && [ -x "$root/usr/bin/systemd-analyze" ] && [ -n "$(private_library_directory)" ]
}

download_and_unpack() {
    command -v apt-get >/dev/null || fail "apt-get is missing: this needs a Debian or Ubuntu machine"
    command -v dpkg >/dev/null || fail "dpkg is missing: this needs a Debian or Ubuntu machine"
    local system_sources=/etc/apt/sources.list.d/debian.sources
    [ -f "$system_sources" ] || fail "$system_sources is missing: this needs Debian's deb822 sources file"

    local apt_directory="$cache/apt"
    mkdir -p "$apt_directory/lists/partial" "$apt_directory/cache/archives/partial" "$cache/debs"
    # The system's main archive entry (the first stanza that is not the security archive) with only Suites changed.
    awk -v suite="$suite" 'BEGIN { RS = ""; ORS = "\n" }
        !done && !/Suites:[^\n]*security/ { sub(/Suites:[^\n]*/, "Suites: " suite); print; done = 1 }' \
        "$system_sources" >"$apt_directory/private.sources"
    grep -q "^Suites: $suite\$" "$apt_directory/private.sources" || fail "no main archive entry in $system_sources"
    local apt_options=(
        -o "Dir::Etc::SourceList=$apt_directory/private.sources"
        -o "Dir::Etc::SourceParts=-"
        -o "Dir::State=$apt_directory"
        -o "Dir::State::Lists=$apt_directory/lists"
        -o "Dir::State::status=/var/lib/dpkg/status"
        -o "Dir::Cache=$apt_directory/cache"
        -o "APT::Sandbox::User=$(id -un)"
        -o "Acquire::Retries=3"
        -o "Acquire::http::Timeout=30"
        -o "Acquire::Languages=none"
    )
    echo "systemd-analyze.sh: downloading ${packages[*]} from $suite into $cache" >&2
    # apt-get update exits 0 even when the mirror cannot be reached, so look for the package list it should have got.
    rm -f "$apt_directory"/lists/*Packages*
    if ! apt-get -q "${apt_options[@]}" update >"$cache/apt-update.log" 2>&1 ||
        ! compgen -G "$apt_directory/lists/*_dists_${suite}_main_binary-*_Packages*" >/dev/null; then
        cat "$cache/apt-update.log" >&2
        fail "cannot read the package list of $suite (this needs network access to Debian's archive)"
    fi
    rm -f "$cache"/debs/*.deb
    # package/suite: the version from $suite, never the installed one.
    if ! (cd "$cache/debs" && apt-get -qq "${apt_options[@]}" download "${packages[@]/%//$suite}") \
        >"$cache/apt-download.log" 2>&1; then
        cat "$cache/apt-download.log" >&2
        fail "cannot download ${packages[*]} from $suite"
    fi

    local staging="$cache/root.new"
    rm -rf "$staging"
    mkdir -p "$staging"
    local deb
    for deb in "$cache"/debs/*.deb; do
        dpkg -x "$deb" "$staging" || fail "cannot unpack $deb"
    done
    rm -rf "$root"
    mv "$staging" "$root"
    [ -x "$root/usr/bin/systemd-analyze" ] || fail "the $suite systemd package has no usr/bin/systemd-analyze"
    [ -n "$(private_library_directory)" ] || fail "the unpacked packages have no libsystemd-shared-*.so"
    (cd "$cache/debs" && ls ./*.deb) >"$cache/unpacked"
}

mkdir -p "$cache" || fail "cannot create $cache"
# One download at a time when several runs start together.
exec 9>"$cache/lock"
flock 9
is_unpacked || download_and_unpack
flock -u 9

if [ "${1:-}" = "--print-root" ]; then
    echo "$root"
    exit 0
fi

# The binary's RUNPATH names the system's /usr/lib/<triplet>/systemd, which holds the system's (older) private
# libraries under other file names; LD_LIBRARY_PATH is searched first and points at the unpacked ones.
library_directory="$(private_library_directory)"
export LD_LIBRARY_PATH="$library_directory${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$root/usr/bin/systemd-analyze" "$@"
