#!/usr/bin/env bash
# Prints the path of a VictoriaMetrics single-node binary from Debian unstable (bookworm has none), unpacked into a
# private directory by debian-packages.sh; the system's packages and apt sources stay as they are.
#
#   VICTORIA_METRICS_CACHE   default: <repository>/.build/victoria-metrics
set -euo pipefail

script_directory="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repository="$(cd "$script_directory/../../.." && pwd)"
cache="${VICTORIA_METRICS_CACHE:-$repository/.build/victoria-metrics}"
root="$("$script_directory/debian-packages.sh" "$cache" unstable victoria-metrics)"
binary="$root/usr/bin/victoria-metrics"
[ -x "$binary" ] || { echo "victoria-metrics.sh: the package has no usr/bin/victoria-metrics" >&2; exit 2; }
echo "$binary"
