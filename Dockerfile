# btcrate in a container: the collector on the 10-minute wall clock, the graph
# service and the watchdog in one process (`btcrate run`), logging to stderr.
#
#   docker build -t btcrate .
#   docker run -d --name btcrate -p 127.0.0.1:8610:8610 \
#       -v btcrate-data:/var/lib/btcrate \
#       -v "$PWD/alphavantage-api-key:/run/secrets/alphavantage-api-key:ro" btcrate
#
# The build stage needs the official Swift image; where no registry is
# reachable, pass a local stand-in with --build-arg SWIFT_IMAGE=... (the
# end-to-end test Tests/e2e/docker-test makes one from the host's toolchain).
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------- build
FROM ${SWIFT_IMAGE} AS build

# The -dev packages of the three C libraries btcrate links; ca-certificates so
# that SwiftPM can clone the dependencies over https.
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
        librrd-dev libcurl4-openssl-dev libsystemd-dev pkg-config ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Resolve the dependencies in a layer of their own, so that a change in the
# sources does not clone them again.
COPY Package.swift ./
RUN swift package resolve

# Package.swift names the test targets too, and SwiftPM wants their folders.
COPY Sources ./Sources
COPY Tests ./Tests
# The Swift runtime is linked in statically, so the runtime stage needs only
# the C libraries; the symbols are stripped (the binary shrinks to a fraction).
RUN swift build -c release --static-swift-stdlib --product btcrate \
 && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/btcrate" /out/btcrate \
 && strip /out/btcrate \
 && /out/btcrate --version

# ---------------------------------------------------------------- runtime
FROM ${RUNTIME_IMAGE}

# What the binary links (ldd: librrd.so.8, libsystemd.so.0, and libstdc++/
# libgcc_s/libc, which the base has); libcurl4, which it opens with dlopen; the
# font librrd draws text with (librrd8 only recommends it); tzdata for the graphs'
# time zones (tz=Area/City); the CA certificates for the price APIs.
# dpkg leaves out the packages' manuals, translations and documentation (their
# copyright files stay), and apt's package caches go with its lists: 76 MB of
# /var/cache/apt/*.bin stayed in the image before, on a base without the official
# images' docker-clean apt setting (README "Lean").
RUN printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
        'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' \
        'path-exclude=/usr/share/locale/*' 'path-exclude=/usr/share/lintian/*' \
        > /etc/dpkg/dpkg.cfg.d/btcrate-slim \
 && export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
        librrd8 libcurl4 libsystemd0 fonts-dejavu-core tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/cache/apt/*.bin \
        /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old

# A fixed, unprivileged user; the numeric id lets orchestrators check "non-root"
# without reading /etc/passwd, and lets a bind-mounted state directory be
# chowned to it (chown 10001:10001 DIR).
# fc-cache again, in a layer of its own: an image layer keeps the font folders'
# mtimes only to the second, so the cache written at install time looks stale
# and fontconfig would write a fresh one into $HOME, the state directory.
RUN groupadd --gid 10001 btcrate \
 && useradd --uid 10001 --gid btcrate --home-dir /var/lib/btcrate \
        --no-create-home --shell /usr/sbin/nologin btcrate \
 && install -d -o btcrate -g btcrate -m 0750 /var/lib/btcrate \
 && fc-cache --force

COPY --from=build /out/btcrate /usr/local/bin/btcrate

# Listen on every address inside the container (publish with -p); the state
# directory is a volume; logs go to stderr (docker logs). The API key comes from
# /run/secrets/alphavantage-api-key, which btcrate reads by itself.
ENV BTCRATE_STATE_DIRECTORY=/var/lib/btcrate \
    BTCRATE_LISTEN=0.0.0.0:8610 \
    BTCRATE_LOG_TARGET=stderr
VOLUME ["/var/lib/btcrate"]
EXPOSE 8610
USER 10001:10001
WORKDIR /var/lib/btcrate

# /healthz answers 200 while every pair's newest sample is fresh (graph.stale_after,
# 30 minutes) and 503 otherwise. `btcrate healthcheck` reads the same
# configuration as the service (so it follows BTCRATE_LISTEN), needing no curl.
HEALTHCHECK --interval=60s --timeout=10s --start-period=2m --retries=3 \
    CMD ["btcrate", "healthcheck"]

# SIGTERM (docker stop) lets a collection in progress finish, then exits.
STOPSIGNAL SIGTERM
CMD ["btcrate", "run"]
