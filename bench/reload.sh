#!/usr/bin/env bash
# Benchmark of `systemctl reload` (SIGHUP) against a restart, for the graph service
# and the watchdog (see bench/reload_bench.py for what is measured).
#   bench/reload.sh               20 rounds each
#   bench/reload.sh --rounds 50
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
swift build -c release --product btcrate
exec python3 bench/reload_bench.py "$@"
