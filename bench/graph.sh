#!/usr/bin/env bash
# Benchmarks of the graph service (see bench/graph_bench.py for what is measured).
#   bench/graph.sh                render latency vs rrdtool graph, 1 against 2 render workers, a cached graph,
#                                 a viewer during a flood of hang-up clients, memory per process
#   bench/graph.sh --seconds 5    shorter wrk runs (--flood N, --years N, --runs N change the other counts)
#   bench/graph.sh --only looks   the render time of each look (theme, dpr, log, change, compare, tz) alone
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
bench_needs wrk python3
swift build -c release --product btcrate
swift build -c release --product btcrate-fake-sources
exec python3 bench/graph_bench.py "$@"
