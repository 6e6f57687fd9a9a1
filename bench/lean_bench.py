#!/usr/bin/env python3
"""How small btcrate is: the binary, each process's memory, the image (issue 14).

    python3 bench/lean_bench.py --binary PATH [--fake PATH] [--floor DIR] [--image NAME] [--runs N]

bench/lean.sh builds what the .deb ships (release, Swift runtime linked in
statically) and runs this. Printed in one run, beside each goal:

- the binary as built and stripped as packaging/build-deb strips it;
- one `btcrate collect` writing a new slot, against `curl | sed | rrdtool update`
  (bench/collect_bench.py's single-pair table, median of N runs);
- the idle watchdog (probing the graph service as it does by default, and with
  graph_url = off), the idle graph service's HTTP process and each render worker
  (fresh, and after every worker drew): Rss and Pss from /proc/PID/smaps_rollup,
  and where the Rss goes (the binary's own pages, librrd, the drawing stack librrd
  pulls in, libcurl and TLS, the C library and the rest, heap and anonymous
  memory) from /proc/PID/smaps;
- the floors under them: the idle Rss of the smallest programs on the libraries
  each process uses (bench/floor: Swift alone, SwiftNIO, Hummingbird; built and
  linked as btcrate is), and the peak of `rrdtool graph` drawing a 30-day graph;
- one `btcrate healthcheck` (the image's HEALTHCHECK): wall time and peak RSS;
- the Docker image's size, when --image names one that is there.
"""
import argparse
import collections
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collect_bench  # noqa: E402  (its single-pair table and helpers)

MiB = 1024 * 1024
GOALS = {"binary": 30 * 1000 * 1000, "watchdog": 15 * MiB, "graph": 15 * MiB, "worker": 15 * MiB, "image": 280 * 1000 * 1000}

# Which mapped file belongs to which group; the first match wins.
GROUPS = [
    ("the binary", lambda path, binary: path == binary),
    ("librrd", lambda path, _: "librrd" in path),
    ("drawing stack (cairo, pango, glib, fonts, xml2, ICU)",
     lambda path, _: any(name in path for name in (
         "cairo", "pango", "glib", "gobject", "gio-", "gmodule", "harfbuzz", "fontconfig", "freetype", "pixman",
         "libpng", "libxml2", "libicu", "fribidi", "libthai", "datrie", "graphite", "libX", "libxcb", "expat",
         "libffi", "pcre2", "libbrotli", "libz.so", "liblzma", "libdbi"))),
    ("libcurl and TLS", lambda path, _: any(name in path for name in (
        "libcurl", "libssl", "libcrypto", "gnutls", "nettle", "hogweed", "libgmp", "krb5", "k5crypto", "gssapi", "ldap",
        "lber", "sasl", "nghttp", "libssh", "librtmp", "libpsl", "libidn", "unistring", "p11-kit", "tasn1"))),
    ("C library, systemd and the rest", lambda path, _: path.startswith("/")),
    ("heap and anonymous", lambda path, _: True),
]


def rollup(pid):
    """{'Rss': bytes, 'Pss': bytes, ...} from /proc/PID/smaps_rollup."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup_file:
        for line in rollup_file:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB":
                values[parts[0].rstrip(":")] = int(parts[1]) * 1024
    return values


def breakdown(pid, binary):
    """Rss per group of mappings, in bytes."""
    totals = collections.Counter()
    path = ""
    real_binary = os.path.realpath(binary)
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            parts = line.split()
            if not parts:
                continue
            if "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
                path = parts[5] if len(parts) >= 6 else ""
                path = os.path.realpath(path) if path.startswith("/") else path
            elif parts[0] == "Rss:":
                for name, matches in GROUPS:
                    if matches(path, real_binary):
                        totals[name] += int(parts[1]) * 1024
                        break
    return totals


def children_of(pid):
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found += [int(child) for child in children.read().split()]
        except OSError:
            pass
    return found


def mib(value):
    return f"{value / MiB:.1f} MiB"


def verdict(value, goal):
    return "met" if value <= goal else f"missed by {mib(value - goal)}" if goal > 1e6 else "missed"


def wait_for(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return True
        except OSError:
            time.sleep(0.2)
    return False


def snapshot(label, pid, binary):
    return (label, pid, rollup(pid), breakdown(pid, binary))


def draw_on_every_worker(port, workers):
    """Distinct uncached 30-day graphs, several per worker and all at once, so that
    every worker draws (a worker takes the next job when it is free)."""
    urls = [f"http://127.0.0.1:{port}/graph.png?start=-30d&width={1000 + index}" for index in range(4 * max(workers, 1))]
    with concurrent.futures.ThreadPoolExecutor(len(urls)) as pool:
        list(pool.map(wait_for, urls))


def processes(binary, fake_url, work):
    """(label, pid, rollup, breakdown) of the watchdog (probing the graph service, as
    by default, and with graph_url = off), the graph HTTP process and each render
    worker (fresh, then after drawing), each idle when measured."""
    state = os.path.join(work, "state")
    os.makedirs(work)
    open(os.path.join(work, "empty.conf"), "w").close()
    port = collect_bench.free_port()
    env = collect_bench.base_env(state, fake_url, {"BTCRATE_LOG_LEVEL": "warning", "BTCRATE_LISTEN": f"127.0.0.1:{port}"})
    subprocess.run([binary, "backfill", "--days", "2", "--quiet"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([binary, "collect"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The second watchdog reads a copy: two watchdogs never share a state directory.
    quiet_work = os.path.join(work, "quiet")
    os.makedirs(quiet_work)
    open(os.path.join(quiet_work, "empty.conf"), "w").close()
    shutil.copytree(state, os.path.join(quiet_work, "state"))
    quiet_env = collect_bench.base_env(os.path.join(quiet_work, "state"), fake_url,
                                       {"BTCRATE_LOG_LEVEL": "warning", "BTCRATE_GRAPH_HEALTH_URL": "off"})
    started = []
    try:
        graph = subprocess.Popen([binary, "graph"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(graph)
        wait_for(f"http://127.0.0.1:{port}/healthz")
        time.sleep(2)
        # The image's HEALTHCHECK: a new `btcrate healthcheck` process every minute.
        global HEALTHCHECK
        HEALTHCHECK = collect_bench.median_row(
            [collect_bench.timed([binary, "healthcheck"], env) for _ in range(HEALTHCHECK_RUNS)])
        workers = children_of(graph.pid)
        fresh = [snapshot(f"btcrate graph, render worker {index}, fresh (has not drawn)", pid, binary)
                 for index, pid in enumerate(workers, 1)]
        # By default the watchdog probes the graph service's /healthz (libcurl); the
        # other has nothing to send over HTTP and never opens libcurl.
        for watchdog_env in (env, quiet_env):
            started.append(subprocess.Popen([binary, "watchdog"], env=watchdog_env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        draw_on_every_worker(port, len(workers))
        time.sleep(5)
        measured = [snapshot("btcrate watchdog, idle, probing the graph service (the default)", started[1].pid, binary),
                    snapshot("btcrate watchdog, idle, graph_url = off and no sink", started[2].pid, binary),
                    snapshot("btcrate graph, HTTP process, idle", graph.pid, binary)]
        measured += fresh
        measured += [snapshot(f"btcrate graph, render worker {index}, idle after drawing", pid, binary)
                     for index, pid in enumerate(children_of(graph.pid), 1)]
        return measured
    finally:
        for process in started:
            process.terminate()
            process.wait()


HEALTHCHECK_RUNS = 7
HEALTHCHECK = None  # (seconds, peak KiB), median of HEALTHCHECK_RUNS: set by processes()


def floors(floor_bin, state_file, work):
    """(label, peak or idle Rss, what it bounds): the smallest programs on the libraries
    btcrate's processes use (bench/floor, built like btcrate), and `rrdtool graph`."""
    rows = []
    if floor_bin:
        port = collect_bench.free_port()
        for name, bounds, arguments in (
                ("swift-hello", "every process: Swift and FoundationEssentials, idle", []),
                ("nio-idle", "the watchdog and collect: SwiftNIO, one event loop, idle", []),
                ("hummingbird-hello", "the graph HTTP process: Hummingbird after one GET /healthz, idle", [str(port)])):
            process = subprocess.Popen([os.path.join(floor_bin, name)] + arguments,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            try:
                if name == "hummingbird-hello":
                    wait_for(f"http://127.0.0.1:{port}/healthz")
                else:
                    process.stdout.readline()
                time.sleep(1)
                rows.append((f"bench/floor {name}", rollup(process.pid).get("Rss", 0), bounds))
            finally:
                process.terminate()
                process.wait()
    rrdtool = shutil.which("rrdtool")
    if rrdtool and os.path.exists(state_file):
        command = [rrdtool, "graph", os.path.join(work, "peer.png"), "--start", "-30d", "--width", "1000",
                   f"DEF:rate={state_file}:rate:AVERAGE", "LINE1:rate#0000ff:BTC-USD"]
        _, peak_kib, _ = collect_bench.timed(command, dict(os.environ, TZ="UTC"))
        rows.append(("`rrdtool graph` of a 30-day graph, peak", peak_kib * 1024,
                     "a render worker after drawing: librrd and its drawing stack, in C"))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True, help="the btcrate binary (as the .deb builds it)")
    parser.add_argument("--fake", default=None, help="btcrate-fake-sources (default: next to --binary)")
    parser.add_argument("--image", default="", help="a Docker image whose size to report")
    parser.add_argument("--floor", default="", help="bench/floor's release bin path (bench/lean.sh builds it)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    fake_binary = args.fake or os.path.join(os.path.dirname(binary), "btcrate-fake-sources")
    work = tempfile.mkdtemp(prefix="btcrate-lean-")
    stripped = os.path.join(work, "btcrate")
    shutil.copy(binary, stripped)
    subprocess.run(["strip", "--strip-unneeded", "--remove-section=.comment", "--remove-section=.note", stripped], check=True)
    fake = subprocess.Popen([fake_binary, "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        fake_url = fake.stdout.readline().strip().split()[-1]
        print(f"btcrate lean benchmark: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, "
              f"{os.cpu_count()} CPUs, binary {binary}")
        size, stripped_size = os.path.getsize(binary), os.path.getsize(stripped)
        print("\n## The binary\n")
        print("| | size | goal |")
        print("|---|---|---|")
        print(f"| as built | {size / 1e6:.1f} MB | |")
        print(f"| stripped (as packaging/build-deb and the Dockerfile strip it) | {stripped_size / 1e6:.1f} MB | "
              f"<= 30 MB: {verdict(stripped_size, GOALS['binary'])} |")

        collect_work = os.path.join(work, "collect")
        os.makedirs(collect_work)
        open(os.path.join(collect_work, "empty.conf"), "w").close()
        collect_bench.single_pair(stripped, fake_url, collect_work, args.runs)

        print("\n## Processes (stripped binary; /proc/PID/smaps_rollup)\n")
        rows = processes(stripped, fake_url, os.path.join(work, "processes"))
        print("| process | Rss | Pss | goal (Rss) |")
        print("|---|---|---|---|")
        for label, _, values, _ in rows:
            goal = GOALS["watchdog"] if "watchdog" in label else GOALS["worker"] if "worker" in label else GOALS["graph"]
            print(f"| {label} | {mib(values.get('Rss', 0))} | {mib(values.get('Pss', 0))} | "
                  f"<= 15 MiB: {verdict(values.get('Rss', 0), goal)} |")
        if HEALTHCHECK:
            print(f"\nOne `btcrate healthcheck` against the idle graph service (the image's HEALTHCHECK, every minute), "
                  f"median of {HEALTHCHECK_RUNS}: {HEALTHCHECK[0] * 1000:.1f} ms, peak RSS {HEALTHCHECK[1] / 1024:.1f} MiB")
        floor_rows = floors(args.floor, os.path.join(work, "processes", "state", "BTC-USD.rrd"), work)
        if floor_rows:
            print("\n### The floors: what the libraries alone take (bench/floor, built like btcrate)\n")
            print("| program | Rss | under |")
            print("|---|---|---|")
            for label, value, bounds in floor_rows:
                print(f"| {label} | {mib(value)} | {bounds} |")
        print("\n### Where the Rss goes\n")
        print("| process | " + " | ".join(name for name, _ in GROUPS) + " |")
        print("|---|" + "---|" * len(GROUPS))
        for label, _, _, groups in rows:
            print(f"| {label} | " + " | ".join(mib(groups.get(name, 0)) for name, _ in GROUPS) + " |")

        if args.image:
            inspected = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", args.image],
                                       capture_output=True, text=True)
            if inspected.returncode == 0:
                image = int(inspected.stdout.strip())
                print(f"\n## The Docker image\n\n{args.image}: {image / 1e6:.0f} MB (goal <= 280 MB: {verdict(image, GOALS['image'])})")
            else:
                print(f"\n(no Docker image {args.image}: build it with `docker build -t {args.image} .`)")
    finally:
        fake.terminate()
        fake.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
