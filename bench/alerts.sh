#!/usr/bin/env bash
# Alert latency and evaluation cost of the watchdog (see bench/alerts_bench.py),
# beside Debian's Alertmanager. About 10 minutes (the 1,000 pairs' files are
# made first, 15 GB under $BENCH_DIR, default /var/tmp); --deadline adds up to 12.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
bench_needs prometheus-alertmanager python3
swift build -c release --product btcrate
swift build -c release --product btcrate-fake-sources
exec python3 bench/alerts_bench.py "$@"
