#!/usr/bin/env python3
"""Benchmarks of the graph service, printed as tables in one run.

1. Render latency: an uncached PNG through `btcrate graph` (HTTP on loopback,
   every request distinct so the cache never answers) against the `rrdtool graph`
   command on the same file with the same arguments; median of --runs renders
   each, for a 1-day and a long range (how cost grows).
2. Uncached distinct graphs with 1 render worker and with 2 (wrk, every request
   a different graph of the same cost), in alternating rounds: the median
   graphs/s, p50 and p99, side by side, and their ratio.
3. One cached graph (wrk -t2 -c32): requests/s, p50, p99.
4. A flood of 2,000 distinct 3000 x 1500 graphs from clients that hang up after
   0.1 s (200 at a time), while a normal viewer uses the page: the viewer's p50
   and p99 (a cached live view and a new zoom, alternately), and what happened to
   the flood (rendered, dropped, refused).
5. Memory, before, at the peak of and after the flood: RSS and PSS of the HTTP
   process and of each render worker, and the service's total.
6. The looks: the uncached render time of dark, dpr 2, log, percent change, a
   comparison of two pairs and a time zone against the default, 1 day and 1
   year (`--only looks` runs this section alone).
7. With --before BINARY (an older build, e.g. one made with `git worktree add`):
   sections 2 and 3 on it and on this build, alternating.
8. `--only storage`: uncached renders from the local file against the same file
   read through rrdcached on 127.0.0.1 over TCP by a graph node without files,
   for 1 day, 30 days and 1 year.

Run through bench/graph.sh, which builds the release binaries first. The state
directory is seeded with --years of 10-minute history from the local fake.
"""
import argparse
import glob
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def bin_path(name):
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(out, name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory(pid):
    """VmRSS, VmHWM and Pss in MiB (PSS shares the binary's pages fairly among processes)."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                values[key] = int(value.split()[0]) / 1024
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    values["Pss"] = int(line.split()[1]) / 1024
    except OSError:
        values["Pss"] = 0.0
    return values


def workers(pid):
    found = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        with open(path) as children:
            found += [int(child) for child in children.read().split()]
    return sorted(found)


def fetch(url, timeout=120):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def wrk(url, seconds, connections=32, script=None):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, int(errors.group(1)) if errors else 0


def distinct_script(path, now, offset):
    """A wrk script whose every request is a different graph (never a cache hit) of
    the same cost: 7 days at 800 x 300, each ending a minute before the last."""
    with open(path, "w") as lua:
        lua.write(
            "local threads = 0\n"
            "function setup(thread) thread:set(\"id\", threads); threads = threads + 1 end\n"
            "counter = 0\n"
            "request = function()\n"
            "  counter = counter + 1\n"
            "  local finish = %d - %d - (counter * 2 + id) * 60\n"
            "  return wrk.format(\"GET\", \"/graph.png?width=800&height=300&start=\" .. (finish - 604800) .. \"&end=\" .. finish)\n"
            "end\n" % (now, offset))
    return path


class Service:
    """`btcrate graph` with a number of render workers, on a port of its own."""

    def __init__(self, btcrate, env, workers_count):
        self.port = free_port()
        self.env = dict(env, BTCRATE_LISTEN=f"127.0.0.1:{self.port}", BTCRATE_RENDER_WORKERS=str(workers_count))
        self.process = subprocess.Popen([btcrate, "graph"], env=self.env, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                fetch(self.base + "/healthz", timeout=2)
                if len(workers(self.process.pid)) == workers_count:
                    break
            except Exception:
                pass
            time.sleep(0.1)

    def memory(self):
        main = memory(self.process.pid)
        each = [memory(pid) for pid in workers(self.process.pid)]
        return main, each

    def stop(self):
        self.process.terminate()
        self.process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--years", type=int, default=10, help="history to seed")
    parser.add_argument("--flood", type=int, default=2000, help="requests in the flood")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of 1 and 2 workers")
    parser.add_argument("--only", choices=["looks", "before", "storage"],
                        help="run one section only (before: needs --before)")
    parser.add_argument("--before", metavar="BINARY",
                        help="an older btcrate build to compare with (cached and distinct graphs, alternating rounds)")
    args = parser.parse_args()

    btcrate = bin_path("btcrate")
    work = tempfile.mkdtemp(prefix="btcrate-graph-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    processes = []
    services = []
    try:
        fake = subprocess.Popen([bin_path("btcrate-fake-sources"), "0"], stdout=subprocess.PIPE, text=True)
        processes.append(fake)
        fake_url = fake.stdout.readline().strip().split()[-1]
        open(os.path.join(work, "empty.conf"), "w").close()
        state = os.path.join(work, "state")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BTCRATE_STATE_DIRECTORY": state,
               "BTCRATE_CONFIG": os.path.join(work, "empty.conf"),
               "BTCRATE_LOG_TARGET": "stderr", "BTCRATE_LOG_LEVEL": "warning",
               # A second pair for the comparison row of the looks.
               "BTCRATE_PAIRS": "BTC-USD,ETH-USD"}
        for source in ("ALPHAVANTAGE", "COINBASE", "KRAKEN", "BITSTAMP"):
            env[f"BTCRATE_{source}_URL"] = fake_url
        started = time.perf_counter()
        subprocess.run([btcrate, "backfill", "--days", str(args.years * 365), "--quiet"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        seeded = time.perf_counter() - started
        now = int(time.time()) // 60 * 60

        print(f"btcrate graph benchmark: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, "
              f"{os.cpu_count()} CPUs; {args.years} years of 10-minute history seeded in {seeded:.1f} s")

        if args.only == "looks":
            looks(btcrate, env, now, args)
            return
        if args.only == "before":
            compare(args.before, btcrate, env, now, args, work)
            return
        if args.only == "storage":
            storage(btcrate, env, now, args, work)
            return

        # 1. Render latency against the rrdtool command.
        service = Service(btcrate, env, 2)
        services.append(service)
        print(f"\n## Render latency, uncached, median of {args.runs} (800 x 300 PNG)\n")
        print("| range | btcrate graph (HTTP, queue, worker, cache miss) | rrdtool graph (command) | ratio |")
        print("|---|---|---|---|")
        for label, span in (("1 day", 86_400), (f"{args.years} years", args.years * 365 * 86_400)):
            service_times, command_times = [], []
            for run in range(args.runs):
                start = now - span - run   # a distinct range each time: never a cache hit
                query = f"start={start}&end={now}&width=800&height=300&style=line"
                began = time.perf_counter()
                fetch(f"{service.base}/graph.png?{query}")
                service_times.append(time.perf_counter() - began)
                arguments = graph_arguments(os.path.join(state, "BTC-USD.rrd"), start, now)
                began = time.perf_counter()
                subprocess.run(["rrdtool", "graph"] + arguments, env={"TZ": "UTC", "PATH": env["PATH"]},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                command_times.append(time.perf_counter() - began)
            service_median, command_median = statistics.median(service_times), statistics.median(command_times)
            print(f"| {label} | {service_median * 1000:.1f} ms | {command_median * 1000:.1f} ms | {service_median / command_median:.2f}x |")
        service.stop()
        services.remove(service)

        # 2. Uncached distinct graphs, 1 worker against 2, alternating, median of --rounds.
        print(f"\n## Uncached distinct graphs (800 x 300, 7 days, each a minute apart), wrk -t2 -c8 -d{args.seconds}s, "
              f"median of {args.rounds} alternating rounds\n")
        print("| render workers | graphs/s | p50 | p99 | non-2xx | service RSS after |")
        print("|---|---|---|---|---|---|")
        results = {1: [], 2: []}
        memory_after = {}
        for round_number in range(args.rounds):
            for count in (1, 2):
                service = Service(btcrate, env, count)
                services.append(service)
                offset = (round_number * 2 + count) * 86_400
                script = distinct_script(os.path.join(work, f"distinct{count}.lua"), now, offset)
                fetch(service.base + "/graph.png?start=-1d")   # warm the worker's caches
                results[count].append(wrk(service.base + "/", args.seconds, connections=8, script=script))
                main_memory, worker_memory = service.memory()
                memory_after[count] = main_memory["VmRSS"] + sum(each["VmRSS"] for each in worker_memory)
                if not (count == 2 and round_number == args.rounds - 1):
                    service.stop()
                    services.remove(service)
        rates = {}
        for count in (1, 2):
            runs = results[count]
            rates[count] = statistics.median(run[0] for run in runs)
            p50 = statistics.median(milliseconds(run[1]) for run in runs)
            p99 = statistics.median(milliseconds(run[2]) for run in runs)
            print(f"| {count} | {rates[count]:.1f} ({', '.join(f'{run[0]:.0f}' for run in runs)}) | {p50:.1f} ms | "
                  f"{p99:.1f} ms | {sum(run[3] for run in runs)} | {memory_after[count]:.1f} MiB |")
        print(f"\n2 workers draw **{rates[2] / rates[1]:.2f}x** the graphs of 1 (goal: at least 1.8x); "
              f"before the workers, one render thread drew about 71 a second on this machine.")

        # 3. One cached graph (the service with 2 workers is still running).
        cached_url = f"{service.base}/graph.png?start=-7d&width=800&height=300"
        fetch(cached_url)
        cached = wrk(cached_url, args.seconds)
        print(f"\n## One cached graph, wrk -t2 -c32 -d{args.seconds}s\n")
        print("| load | requests/s | p50 | p99 | non-2xx |")
        print("|---|---|---|---|---|")
        print(f"| one cached graph (2 workers running) | {cached[0]:.0f} | {cached[1]} | {cached[2]} | {cached[3]} |")
        print("\n(goal: no worse than the 18,000-20,000 a second measured before the workers)")

        # 4 and 5. The flood, a viewer, and memory.
        flood(service, now, args.flood)
        service.stop()
        services.remove(service)

        # 6. What each look costs.
        looks(btcrate, env, now, args)

        # 7. Before and after, when an older build is given.
        if args.before:
            compare(args.before, btcrate, env, now, args, work)
    finally:
        for service in services:
            service.stop()
        for process in reversed(processes):
            process.terminate()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


LOOKS = (
    ("default (light, dpr 1, linear, rate)", ""),
    ("theme=dark", "&theme=dark"),
    ("dpr=2 (1600 x 600 pixels)", "&dpr=2"),
    ("scale=log", "&scale=log"),
    ("mode=change", "&mode=change"),
    ("compare: pair=BTC-USD,ETH-USD&mode=change", "&pair=BTC-USD,ETH-USD&mode=change"),
    ("tz=Europe/Paris", "&tz=Europe/Paris"),
)


def looks(btcrate, env, now, args):
    """Uncached render time of each look against the default, through the service
    (one worker, so that runs do not overlap), for 1 day and 1 year; with --before,
    the older build's default look first, the reference."""
    spans = (86_400, 365 * 86_400)

    def measure(binary, extra, index):
        service = Service(binary, env, 1)
        try:
            fetch(service.base + "/graph.png?start=-1d")
            medians = []
            for span in spans:
                times = []
                for run in range(args.runs):
                    start = now - span - run - 1000 * index   # distinct: never a cache hit
                    began = time.perf_counter()
                    fetch(f"{service.base}/graph.png?start={start}&end={now}&width=800&height=300&style=line{extra}")
                    times.append(time.perf_counter() - began)
                medians.append(statistics.median(times))
            return medians
        finally:
            service.stop()

    rows = []
    if args.before:
        rows.append((f"the default look before this issue ({os.path.basename(args.before)})", measure(args.before, "", 99)))
    for index, (label, extra) in enumerate(LOOKS):
        rows.append((label, measure(btcrate, extra, index)))
    reference = rows[0][1]
    print(f"\n## The looks, uncached, 800 x 300 CSS pixels, median of {args.runs} (1 render worker)\n")
    print(f"| look | 1 day | vs {'before' if args.before else 'default'} | 1 year | vs {'before' if args.before else 'default'} |")
    print("|---|---|---|---|---|")
    for label, medians in rows:
        cells = [f"{m * 1000:.1f} ms | {m / r:.2f}x" for m, r in zip(medians, reference)]
        print(f"| {label} | {' | '.join(cells)} |")
    print("\nEach render now first exports the view's values to space the value axis' labels (ValueAxis);"
          " that probe is part of every figure but the one before.")


def storage(btcrate, env, now, args, work):
    """Uncached renders from the local file against the same file read through
    rrdcached on 127.0.0.1 over TCP by a graph node with no files of its own."""
    rrdcached = shutil.which("rrdcached") or "/usr/sbin/rrdcached"
    port = free_port()
    state = env["BTCRATE_STATE_DIRECTORY"]
    daemon = subprocess.Popen([rrdcached, "-g", "-l", f"127.0.0.1:{port}", "-B", "-b", state, "-w", "3600",
                               "-p", os.path.join(work, "rrdcached.pid")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    node = os.path.join(work, "node")
    os.makedirs(node, exist_ok=True)
    remote_env = dict(env, BTCRATE_STATE_DIRECTORY=node, BTCRATE_RRDCACHED_ADDRESS=f"127.0.0.1:{port}")
    try:
        time.sleep(0.5)
        print(f"\n## Renders through rrdcached over TCP against the local file, uncached 800 x 300, median of {args.runs} (1 render worker)\n")
        print("| range | local file | through rrdcached (TCP, 127.0.0.1) | ratio |")
        print("|---|---|---|---|")
        for label, span in (("1 day", 86_400), ("30 days", 30 * 86_400), ("1 year", 365 * 86_400)):
            medians = []
            for index, environment in enumerate((env, remote_env)):
                service = Service(btcrate, environment, 1)
                try:
                    fetch(service.base + "/graph.png?start=-1d")
                    times = []
                    for run in range(args.runs):
                        start = now - span - run - 1000 * index
                        began = time.perf_counter()
                        fetch(f"{service.base}/graph.png?start={start}&end={now}&width=800&height=300&style=line")
                        times.append(time.perf_counter() - began)
                    medians.append(statistics.median(times))
                finally:
                    service.stop()
            print(f"| {label} | {medians[0] * 1000:.1f} ms | {medians[1] * 1000:.1f} ms | {medians[1] / medians[0]:.2f}x |")
        print("\nFETCH over the wire ignores the resolution: the daemon answers from the finest archive that"
              " covers the range (a year is 52,560 ten-minute rows), where a local render reads the daily one.")
    finally:
        daemon.terminate()
        daemon.wait()


def compare(before, after, env, now, args, work):
    """The same cached and distinct loads on an older build and on this one, alternating."""
    builds = {f"before ({before})": before, "this build": after}
    results = {name: {"cached": [], "distinct": []} for name in builds}
    for round_number in range(args.rounds):
        for name, binary in builds.items():
            service = Service(binary, env, 2)
            try:
                url = f"{service.base}/graph.png?start=-7d&width=800&height=300"
                fetch(url)
                results[name]["cached"].append(wrk(url, args.seconds)[0])
                script = distinct_script(os.path.join(work, f"compare{round_number}.lua"), now, (round_number + 10) * 86_400)
                results[name]["distinct"].append(wrk(service.base + "/", args.seconds, connections=8, script=script)[0])
            finally:
                service.stop()
    print(f"\n## Before and after, median of {args.rounds} alternating rounds (this build with 2 render workers)\n")
    print("| build | one cached graph, req/s | distinct uncached graphs/s |")
    print("|---|---|---|")
    for name in builds:
        cached, distinct = results[name]["cached"], results[name]["distinct"]
        print(f"| {name} | {statistics.median(cached):.0f} ({', '.join(f'{x:.0f}' for x in cached)}) | "
              f"{statistics.median(distinct):.1f} ({', '.join(f'{x:.0f}' for x in distinct)}) |")


def flood(service, now, count):
    before_main, before_workers = service.memory()
    metrics_before = fetch(service.base + "/metrics").decode()
    peak = {"main": before_main["VmRSS"], "workers": [each["VmRSS"] for each in before_workers],
            "pss": before_main.get("Pss", 0) + sum(each.get("Pss", 0) for each in before_workers)}
    running = threading.Event()
    running.set()

    def sample():
        while running.is_set():
            try:
                main_memory, worker_memory = service.memory()
            except OSError:
                continue
            peak["main"] = max(peak["main"], main_memory["VmRSS"])
            for index, each in enumerate(worker_memory[:len(peak["workers"])]):
                peak["workers"][index] = max(peak["workers"][index], each["VmRSS"])
            peak["pss"] = max(peak["pss"], main_memory.get("Pss", 0) + sum(each.get("Pss", 0) for each in worker_memory))
            time.sleep(0.2)

    viewer_times, viewer_codes = [], {}

    def viewer():
        zoom = 0
        while running.is_set():
            zoom += 1
            # The live view (cached within its minute), then a zoom into a new range. A 503
            # with Retry-After is waited out and asked again, as the page does (3 times at most).
            for path in ("/graph.json?start=-1d&width=800&height=300",
                         f"/graph.png?start={now - 86_400 + zoom * 60}&end={now - 3600 + zoom * 60}&width=800&height=300"):
                began = time.perf_counter()
                for attempt in range(4):
                    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=60)
                    retry = None
                    try:
                        connection.request("GET", path)
                        response = connection.getresponse()
                        response.read()
                        code = response.status
                        retry = response.getheader("Retry-After")
                    except OSError as error:
                        code = type(error).__name__
                    finally:
                        connection.close()
                    if code != 503 or not retry or attempt == 3:
                        break
                    viewer_codes["retried after 503"] = viewer_codes.get("retried after 503", 0) + 1
                    time.sleep(int(retry))
                viewer_times.append(time.perf_counter() - began)
                viewer_codes[code] = viewer_codes.get(code, 0) + 1
            time.sleep(0.25)

    def hang_up(index):
        try:
            with socket.create_connection(("127.0.0.1", service.port), timeout=10) as client:
                path = f"/graph.png?start=-1y&end={now - 60 * (index + 1)}&width=3000&height=1500&style=band"
                client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                time.sleep(0.1)
        except OSError:
            pass

    gate = threading.Semaphore(200)

    def flood_one(index):
        with gate:
            hang_up(index)

    sampler = threading.Thread(target=sample)
    sampler.start()
    viewing = threading.Thread(target=viewer)
    viewing.start()
    began = time.perf_counter()
    threads = [threading.Thread(target=flood_one, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = time.perf_counter() - began
    time.sleep(2)
    running.clear()
    viewing.join()
    sampler.join()
    time.sleep(3)
    after_main, after_workers = service.memory()
    metrics_after = fetch(service.base + "/metrics").decode()

    def delta(name):
        return int(metric(metrics_after, name) - metric(metrics_before, name))

    viewer_times.sort()
    p99 = viewer_times[min(len(viewer_times) - 1, int(len(viewer_times) * 0.99))]
    print(f"\n## A flood of {count} distinct 3000 x 1500 graphs, clients hanging up after 0.1 s, 200 at a time\n")
    gone = delta('btcrate_render_jobs_dropped_total{reason="client_gone"}')
    late = delta('btcrate_render_jobs_dropped_total{reason="queue_timeout"}')
    print(f"The flood was sent in {sent:.1f} s: {delta('btcrate_render_seconds_count')} rendered, "
          f"{gone} dropped unrendered (client gone), {delta('btcrate_render_jobs_rejected_total')} refused at once "
          f"(queue full), {late} timed out in the queue.\n")
    print("| a normal viewer during the flood (following Retry-After as the page does) | views | p50 | p99 | answers |")
    print("|---|---|---|---|---|")
    print(f"| live view (graph.json) and a new zoom (graph.png), alternately | {len(viewer_times)} | "
          f"{statistics.median(viewer_times) * 1000:.0f} ms | {p99 * 1000:.0f} ms | "
          f"{', '.join(f'{code}: {n}' for code, n in sorted(viewer_codes.items(), key=str))} |")
    print("\n(goal: p99 at most 2 s; before the workers and the queue, 7 minutes)")

    print("\n## Memory (MiB): RSS, and PSS, which shares the binary's pages among the processes\n")
    print("| process | before the flood | peak during | after |")
    print("|---|---|---|---|")
    print(f"| HTTP process (RSS) | {before_main['VmRSS']:.1f} | {peak['main']:.1f} | {after_main['VmRSS']:.1f} |")
    for index, each in enumerate(before_workers):
        later = after_workers[index]["VmRSS"] if index < len(after_workers) else float("nan")
        print(f"| render worker {index + 1} (RSS) | {each['VmRSS']:.1f} | {peak['workers'][index]:.1f} | {later:.1f} |")
    total_before = before_main.get("Pss", 0) + sum(each.get("Pss", 0) for each in before_workers)
    total_after = after_main.get("Pss", 0) + sum(each.get("Pss", 0) for each in after_workers)
    print(f"| the whole service (PSS) | {total_before:.1f} | {peak['pss']:.1f} | {total_after:.1f} |")


def milliseconds(text):
    """wrk's "57.24ms", "1.10s" or "980.00us" in milliseconds."""
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def metric(text, name):
    match = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def graph_arguments(path, start, end):
    """The rrdtool command-line form of GraphArguments.graph for style=line, light, dpr 1, UTC
    (less the value axis' probe, which the command cannot do)."""
    colours = [("BACK", "#FFFFFF"), ("CANVAS", "#FFFFFF"), ("SHADEA", "#FFFFFF"), ("SHADEB", "#FFFFFF"),
               ("FONT", "#3A3A3C"), ("GRID", "#E5E5EA"), ("MGRID", "#E5E5EA"), ("AXIS", "#C7C7CC"),
               ("ARROW", "#00000000"), ("FRAME", "#00000000")]
    arguments = ["/dev/null", "--imgformat", "PNG", "--start", str(start), "--end", str(end), "--width", "800",
                 "--height", "300", "--full-size-mode", "--zoom", "1", "--units-exponent", "0", "--slope-mode",
                 "--vertical-label", "USD"]
    for element, colour in colours:
        arguments += ["--color", element + colour]
    arguments += ["--font", "DEFAULT:8:DejaVu Sans", "--font", "LEGEND:8.5:DejaVu Sans", "--grid-dash", "1:0",
                  "--border", "0", "--disable-rrdtool-tag", "--alt-autoscale",
                  f"DEF:rate0={path}:rate:AVERAGE", "VDEF:first0=rate0,FIRST", "CDEF:change0=rate0,first0,/,1,-,100,*",
                  "LINE1.5:rate0#E8830C:BTC-USD", "VDEF:last0=rate0,LAST", "VDEF:min0=rate0,MINIMUM",
                  "VDEF:max0=rate0,MAXIMUM", "VDEF:changed0=change0,LAST", "GPRINT:last0:last %.2lf",
                  "GPRINT:min0:min %.2lf", "GPRINT:max0:max %.2lf", "GPRINT:changed0:change %+.2lf%%", "COMMENT:UTC\\r"]
    return arguments

if __name__ == "__main__":
    main()
