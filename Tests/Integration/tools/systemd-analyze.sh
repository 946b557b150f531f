#!/usr/bin/env bash
# Runs systemd-analyze from Debian's bookworm-backports (systemd 254) without touching the system's systemd.
#
#   Tests/Integration/tools/systemd-analyze.sh [systemd-analyze arguments...]
#   Tests/Integration/tools/systemd-analyze.sh --print-root    # the directory the packages are unpacked into
#
# Debian 12 ships systemd 252, which does not know Type=notify-reload (253), so its `systemd-analyze verify` rejects
# tally.service. This script unpacks the backports' systemd and libsystemd-shared packages with debian-packages.sh
# (private apt sources, state and cache; the system's packages stay as they are) and runs the unpacked
# systemd-analyze against the unpacked private libraries.
#
# Everything lives in one cache directory, reused by later runs (the first run downloads about 5 MB):
#   SYSTEMD_BACKPORTS_CACHE   default: <repository>/.build/systemd-backports
#   SYSTEMD_BACKPORTS_SUITE   default: bookworm-backports
set -euo pipefail

script_directory="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repository="$(cd "$script_directory/../../.." && pwd)"
cache="${SYSTEMD_BACKPORTS_CACHE:-$repository/.build/systemd-backports}"
suite="${SYSTEMD_BACKPORTS_SUITE:-bookworm-backports}"

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

root="$("$script_directory/debian-packages.sh" "$cache" "$suite" systemd libsystemd-shared)"
library_directory="$(private_library_directory)"
if [ ! -x "$root/usr/bin/systemd-analyze" ] || [ -z "$library_directory" ]; then
    echo "systemd-analyze.sh: the $suite packages have no usr/bin/systemd-analyze or libsystemd-shared-*.so" >&2
    exit 2
fi

if [ "${1:-}" = "--print-root" ]; then
    echo "$root"
    exit 0
fi

# The binary's RUNPATH names the system's /usr/lib/<triplet>/systemd, which holds the system's (older) private
# libraries under other file names; LD_LIBRARY_PATH is searched first and points at the unpacked ones.
export LD_LIBRARY_PATH="$library_directory${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$root/usr/bin/systemd-analyze" "$@"
