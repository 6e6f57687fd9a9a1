#!/usr/bin/env bash
# How small btcrate is (see bench/lean_bench.py): the binary as the .deb ships it
# (release, Swift runtime linked statically, stripped), one collect against the
# curl | sed | rrdtool peer, each idle process's memory and where it goes, and the
# floors under them (bench/floor).
#   bench/lean.sh                     everything
#   bench/lean.sh --image btcrate     and the size of a Docker image built as btcrate
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
bench_needs python3 curl strip=binutils
swift build -c release --static-swift-stdlib --product btcrate
swift build -c release --product btcrate-fake-sources
# The floors: the smallest programs on the same libraries, linked the same way.
swift build -c release --static-swift-stdlib --package-path bench/floor
floor="$(swift build -c release --static-swift-stdlib --package-path bench/floor --show-bin-path)"
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"
exec python3 bench/lean_bench.py --binary "$bin/btcrate" --fake "$bin/btcrate-fake-sources" --floor "$floor" "$@"
