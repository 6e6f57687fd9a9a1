#!/usr/bin/env bash
# Benchmarks of `btcrate collect` (see bench/collect_bench.py for what is measured).
#   bench/collect.sh                 single pair (median of 7) and 1,000 pairs
#   bench/collect.sh --pairs 200     fewer pairs (each pair's file is 14.5 MB; 1,000 pairs need ~30 GB free)
#   bench/collect.sh --skip-many     single pair only
#   bench/collect.sh --only slots    1,000 pairs over six slots (an hour, by faketime), direct against rrdcached -w 3600
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
bench_needs python3 curl faketime
swift build -c release --product btcrate
swift build -c release --product btcrate-fake-sources
exec python3 bench/collect_bench.py "$@"
