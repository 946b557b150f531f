#!/usr/bin/env bash
# Unpacks Debian packages from another suite of the system's archive into a private directory, and prints it.
#
#   Tests/Integration/tools/debian-packages.sh CACHE SUITE PACKAGE...
#
# Newer peers (systemd-analyze from bookworm-backports, VictoriaMetrics from unstable) are needed without touching
# the system: the packages are downloaded with apt-get through a private sources file (made from the system's
# /etc/apt/sources.list.d/debian.sources with only its Suites changed) and private apt state and cache, then
# unpacked with dpkg -x into CACHE/root, which is printed. Later runs reuse the unpacked tree; concurrent runs wait
# for one another.
set -euo pipefail

fail() {
    echo "debian-packages.sh: $*" >&2
    exit 2
}

[ $# -ge 3 ] || fail "usage: debian-packages.sh CACHE SUITE PACKAGE..."
cache="$1"
suite="$2"
shift 2
packages=("$@")
root="$cache/root"

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
    echo "debian-packages.sh: downloading ${packages[*]} from $suite into $cache" >&2
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
    printf '%s\n' "${packages[@]}" >"$cache/unpacked"
}

mkdir -p "$cache" || fail "cannot create $cache"
# One download at a time when several runs start together.
exec 9>"$cache/lock"
flock 9
if [ ! -f "$cache/unpacked" ] || [ "$(cat "$cache/unpacked")" != "$(printf '%s\n' "${packages[@]}")" ]; then
    download_and_unpack
fi
flock -u 9
echo "$root"
