#!/usr/bin/env python3
"""Benchmarks of the graph service, printed as tables.

1. Render latency: an uncached PNG through `btcrate graph` (HTTP on loopback,
   every request distinct so the cache never answers) against the `rrdtool graph`
   command on the same file with the same arguments, in the same run; median of
   --runs renders each, for a 1-day and a 10-year range (how cost grows).
2. Throughput with wrk: requests/s and latency for one cached graph, and for a
   stream of distinct uncached graphs; the service's resident memory (VmRSS, and
   its peak VmHWM) before and after.

Run through bench/graph.sh, which builds the release binaries first. The state
directory is seeded with 10 years of 10-minute history from the local fake.
"""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
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
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                values[key] = int(value.split()[0]) / 1024
    return values


def fetch(url):
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


def wrk(url, seconds, script=None):
    cmd = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, int(errors.group(1)) if errors else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--years", type=int, default=10, help="history to seed")
    args = parser.parse_args()

    btcrate = bin_path("btcrate")
    work = tempfile.mkdtemp(prefix="btcrate-graph-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    processes = []
    try:
        fake = subprocess.Popen([bin_path("btcrate-fake-sources"), "0"], stdout=subprocess.PIPE, text=True)
        processes.append(fake)
        fake_url = fake.stdout.readline().strip().split()[-1]
        open(os.path.join(work, "empty.conf"), "w").close()
        state = os.path.join(work, "state")
        port = free_port()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BTCRATE_STATE_DIRECTORY": state,
               "BTCRATE_CONFIG": os.path.join(work, "empty.conf"), "BTCRATE_LISTEN": f"127.0.0.1:{port}",
               "BTCRATE_LOG_TARGET": "stderr", "BTCRATE_LOG_LEVEL": "warning"}
        for source in ("ALPHAVANTAGE", "COINBASE", "KRAKEN", "BITSTAMP"):
            env[f"BTCRATE_{source}_URL"] = fake_url
        started = time.perf_counter()
        subprocess.run([btcrate, "backfill", "--days", str(args.years * 365), "--quiet"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        seeded = time.perf_counter() - started
        graph = subprocess.Popen([btcrate, "graph"], env=env, stderr=subprocess.DEVNULL)
        processes.append(graph)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                fetch(base + "/healthz")
                break
            except Exception:
                time.sleep(0.1)
        idle = memory(graph.pid)

        print(f"btcrate graph benchmark: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, "
              f"{os.cpu_count()} CPUs; {args.years} years of 10-minute history seeded in {seeded:.1f} s")
        print(f"\n## Render latency, uncached, median of {args.runs} (800 x 300 PNG)\n")
        print("| range | btcrate graph (HTTP, render + cache miss) | rrdtool graph (command) | ratio |")
        print("|---|---|---|---|")
        now = int(time.time()) // 60 * 60
        for label, span in (("1 day", 86_400), (f"{args.years} years", args.years * 365 * 86_400)):
            service_times, command_times = [], []
            for run in range(args.runs):
                start = now - span - run   # a distinct range each time: never a cache hit
                query = f"start={start}&end={now}&width=800&height=300&style=line"
                began = time.perf_counter()
                fetch(f"{base}/graph.png?{query}")
                service_times.append(time.perf_counter() - began)
                # The same arguments the service passes to rrd_graph_v.
                meta = json.loads(fetch(f"{base}/graph.json?{query}"))
                arguments = graph_arguments(os.path.join(state, "BTC-USD.rrd"), start, now)
                began = time.perf_counter()
                subprocess.run(["rrdtool", "graph"] + arguments, env={"TZ": "UTC", "PATH": env["PATH"]},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                command_times.append(time.perf_counter() - began)
                assert meta["image_width"] == 800
            service, command = statistics.median(service_times), statistics.median(command_times)
            print(f"| {label} | {service * 1000:.1f} ms | {command * 1000:.1f} ms | {service / command:.2f}x |")

        cached_url = f"{base}/graph.png?start=-7d&width=800&height=300"
        fetch(cached_url)
        script = os.path.join(work, "distinct.lua")
        with open(script, "w") as lua:
            # Every request of every wrk thread a different width/end: never a cache hit.
            lua.write(
                "local threads = 0\n"
                "function setup(thread) thread:set(\"id\", threads); threads = threads + 1 end\n"
                "counter = 0\n"
                "request = function()\n"
                "  counter = counter + 1\n"
                "  local n = counter * 2 + id\n"
                "  return wrk.format(\"GET\", \"/graph.png?start=-7d&height=300&width=\" .. (400 + n %% 2500) .."
                " \"&end=\" .. (%d - math.floor(n / 2500)))\n"
                "end\n" % now)
        cached = wrk(cached_url, args.seconds)
        after_cached = memory(graph.pid)
        distinct = wrk(base + "/", args.seconds, script)
        after_distinct = memory(graph.pid)
        print(f"\n## Throughput, wrk -t2 -c32 -d{args.seconds}s on loopback\n")
        print("| load | requests/s | p50 | p99 | non-2xx | RSS after | peak RSS |")
        print("|---|---|---|---|---|---|---|")
        print(f"| idle (after start) | | | | | {idle['VmRSS']:.1f} MiB | {idle['VmHWM']:.1f} MiB |")
        print(f"| one cached graph | {cached[0]:.0f} | {cached[1]} | {cached[2]} | {cached[3]} | "
              f"{after_cached['VmRSS']:.1f} MiB | {after_cached['VmHWM']:.1f} MiB |")
        print(f"| distinct uncached graphs | {distinct[0]:.0f} | {distinct[1]} | {distinct[2]} | {distinct[3]} | "
              f"{after_distinct['VmRSS']:.1f} MiB | {after_distinct['VmHWM']:.1f} MiB |")
        metrics = fetch(base + "/metrics").decode()
        renders = re.search(r"btcrate_render_seconds_count (\d+)", metrics).group(1)
        total = re.search(r"btcrate_render_seconds_sum ([\d.e+-]+)", metrics).group(1)
        print(f"\n{renders} renders in all, {float(total) / max(1, int(renders)) * 1000:.1f} ms each on average (/metrics)")
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


def graph_arguments(path, start, end):
    """The rrdtool command-line form of GraphArguments.graph for style=line."""
    return ["/dev/null", "--imgformat", "PNG", "--start", str(start), "--end", str(end), "--width", "800",
            "--height", "300", "--full-size-mode", "--alt-autoscale", "--units-exponent", "0", "--border", "0",
            "--slope-mode", "--vertical-label", "USD", "--watermark", "btcrate - times in UTC",
            "--color", "BACK#FFFFFF", "--color", "CANVAS#FFFFFF", "--color", "SHADEA#FFFFFF", "--color", "SHADEB#FFFFFF",
            f"DEF:rate={path}:rate:AVERAGE", "LINE1.5:rate#F7931A:BTC-USD average",
            "VDEF:latest=rate,LAST", "GPRINT:latest:last %.2lf", "VDEF:lowest=rate,MINIMUM", "GPRINT:lowest:min %.2lf",
            "VDEF:highest=rate,MAXIMUM", "GPRINT:highest:max %.2lf\\r"]


if __name__ == "__main__":
    main()
