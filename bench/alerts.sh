#!/usr/bin/env bash
# Alert latency of the watchdog (see bench/alerts_bench.py). Waits for a real
# staleness deadline, so it can take up to 12 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps
command -v python3 >/dev/null || apt-get install -y -q python3 >/dev/null
swift build -c release --product btcrate
swift build -c release --product btcrate-fake-sources
exec python3 bench/alerts_bench.py "$@"
