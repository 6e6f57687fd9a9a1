#!/usr/bin/env bash
# Alert latency and evaluation cost of the watchdog (see bench/alerts_bench.py),
# beside Debian's Alertmanager. About 10 minutes (the 1,000 pairs' files are
# made first, 15 GB under $BENCH_DIR, default /var/tmp); --deadline adds up to 12.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
command -v prometheus-alertmanager >/dev/null || sudo_if_needed apt-get install -y -q prometheus-alertmanager >/dev/null
command -v python3 >/dev/null || sudo_if_needed apt-get install -y -q python3 >/dev/null
swift build -c release --product btcrate
swift build -c release --product btcrate-fake-sources
exec python3 bench/alerts_bench.py "$@"
