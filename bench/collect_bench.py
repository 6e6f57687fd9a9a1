#!/usr/bin/env python3
"""Benchmarks of `btcrate collect`, printed as tables.

1. One collection run of BTC-USD against the local fake price server: wall time
   and peak RSS, median of --runs runs, for a steady-state run (the file exists,
   a new slot), a first run (the 14 MB file is created) and a no-op run (same
   slot again). Beside it, the classic peer: a cron-style shell line doing
   `curl | sed | rrdtool update` on the same file.
2. --pairs pairs (default 1,000) in one run, with direct librrd writes and through
   rrdcached: wall time, peak RSS and the bytes the run made the disk write
   (from /proc/diskstats around a sync; rrdcached's share is counted by flushing
   it inside the measured window).
3. --pairs pairs over --slots consecutive slots (default 6: an hour), the clock
   moved 10 minutes per run with faketime (the fake sources' clock with it),
   direct writes against rrdcached -w 3600: the bytes written to disk for the
   whole hour, the daemon's final write-out included. One run writes each file
   once, so rrdcached cannot save anything within a run (section 2); over an
   hour it holds every file's six updates and writes each file once.

Run through bench/collect.sh, which builds the release binaries first.
Everything talks to 127.0.0.1 only.
"""
import argparse
import os
import shutil
import socket
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def bin_path(name):
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(out, name)


def timed(cmd, env):
    """Runs cmd; returns (seconds, peak RSS in KiB, exit status)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def device_of(path):
    dev = os.stat(path).st_dev
    major, minor = os.major(dev), os.minor(dev)
    with open("/proc/self/mountinfo") as mounts:
        for line in mounts:
            parts = line.split()
            if parts[2] == f"{major}:{minor}":
                source = line.split(" - ")[1].split()[1]
                return os.path.basename(os.path.realpath(source))
    return None


def sectors_written(device):
    with open("/proc/diskstats") as stats:
        for line in stats:
            parts = line.split()
            if parts[2] == device:
                return int(parts[9])
    return 0


def base_env(state, fake_url, extra=None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BTCRATE_STATE_DIRECTORY": state,
           "BTCRATE_CONFIG": os.path.join(os.path.dirname(state), "empty.conf"), "BTCRATE_LOG_TARGET": "stderr",
           "ALPHAVANTAGE_API_KEY": "BENCHKEY"}
    for source in ("ALPHAVANTAGE", "COINBASE", "KRAKEN", "BITSTAMP"):
        env[f"BTCRATE_{source}_URL"] = fake_url
    env.update(extra or {})
    return env


def median_row(samples):
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def single_pair(btcrate, fake_url, work, runs):
    template = os.path.join(work, "template")
    env = base_env(template, fake_url)
    # A file whose last sample is the previous slot: the next collect writes a new slot.
    subprocess.run([btcrate, "backfill", "--days", "1", "--quiet"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = {"steady": [], "first": [], "noop": [], "peer": []}
    for run in range(runs):
        state = os.path.join(work, f"run{run}")
        shutil.copytree(template, state)
        env = base_env(state, fake_url)
        results["steady"].append(timed([btcrate, "collect"], env))
        results["noop"].append(timed([btcrate, "collect"], env))
        fresh = os.path.join(work, f"fresh{run}")
        results["first"].append(timed([btcrate, "collect"], base_env(fresh, fake_url)))
        peer_state = os.path.join(work, f"peer{run}")
        shutil.copytree(template, peer_state)
        peer = ("v=$(curl -s --max-time 15 " + fake_url + "/products/BTC-USD/ticker"
                " | sed -n 's/.*\"price\":\"\\([0-9.]*\\)\".*/\\1/p'); "
                "rrdtool update " + os.path.join(peer_state, "BTC-USD.rrd") +
                " $(( $(date +%s) / 600 * 600 )):$v:U:U")
        results["peer"].append(timed(["sh", "-c", peer], env))
        for path in (state, fresh, peer_state):
            shutil.rmtree(path)
    failures = [name for name, samples in results.items() if any(s[2] != 0 for s in samples)]
    if failures:
        print(f"warning: non-zero exit in {failures}", file=sys.stderr)
    peer_time, peer_rss = median_row(results["peer"])
    print(f"\n## One collection run, BTC-USD, median of {runs} runs (loopback fake)\n")
    print("| run | wall time | peak RSS | time vs peer | RSS vs peer |")
    print("|---|---|---|---|---|")
    for name, label in (("steady", "btcrate collect, new slot"), ("first", "btcrate collect, creates the file"),
                        ("noop", "btcrate collect, same slot (no-op)"),
                        ("peer", "peer: curl | sed | rrdtool update")):
        seconds, rss = median_row(results[name])
        print(f"| {label} | {seconds * 1000:.1f} ms | {rss / 1024:.1f} MiB | "
              f"{seconds / peer_time:.2f}x | {rss / peer_rss:.2f}x |")


def seeded_state(btcrate, fake_url, state, names):
    """A state directory whose files hold a day of history; returns (extra settings, env, setup seconds)."""
    os.makedirs(state)
    extra = {"BTCRATE_PAIRS": names, "BTCRATE_SOURCES": "coinbase", "BTCRATE_CONCURRENCY": "8"}
    env = base_env(state, fake_url, extra)
    started = time.perf_counter()
    subprocess.run([btcrate, "backfill", "--days", "1", "--quiet"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return extra, env, time.perf_counter() - started


def start_rrdcached(rrdcached, state, tcp_port=None):
    """rrdcached holding writes for an hour; -F: it writes everything out on SIGTERM. Returns (process, socket).
    With tcp_port it also listens on 127.0.0.1:tcp_port (files relative to `state`)."""
    sock = os.path.join(state, "rrdcached.sock")
    listen = ["-l", f"unix:{sock}"] + (["-l", f"127.0.0.1:{tcp_port}"] if tcp_port else [])
    daemon = subprocess.Popen([rrdcached, "-g", "-F"] + listen + ["-w", "3600", "-f", "7200",
                               "-B", "-b", state, "-p", os.path.join(state, "rrdcached.pid")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(sock):
        time.sleep(0.01)
    time.sleep(0.1)   # the TCP socket is opened after the unix one
    return daemon, sock


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def many_pairs(btcrate, rrdcached, fake_url, work, pairs):
    names = ",".join(f"P{i:04d}-USD" for i in range(pairs))
    device = device_of(work)
    rows = []
    for mode in ("direct", "rrdcached", "tcp"):
        state = os.path.join(work, f"many-{mode}")
        _, env, setup = seeded_state(btcrate, fake_url, state, names)
        daemon = None
        if mode == "rrdcached":
            daemon, sock = start_rrdcached(rrdcached, state)
            env["BTCRATE_RRDCACHED_ADDRESS"] = f"unix:{sock}"
        if mode == "tcp":
            # A collector on another host: its own state directory (run record,
            # locks), the files on the daemon's, reached over TCP on loopback.
            port = free_port()
            daemon, _ = start_rrdcached(rrdcached, state, tcp_port=port)
            collector_state = os.path.join(work, "many-tcp-collector")
            os.makedirs(collector_state)
            if os.path.exists(os.path.join(state, "last-run.json")):
                shutil.copy(os.path.join(state, "last-run.json"), collector_state)
            env["BTCRATE_STATE_DIRECTORY"] = collector_state
            env["BTCRATE_RRDCACHED_ADDRESS"] = f"127.0.0.1:{port}"
        os.sync()
        before = sectors_written(device)
        seconds, rss, status = timed([btcrate, "collect"], env)
        if daemon:
            # Count the daemon's writes too: stopping it (-F) writes everything it holds.
            daemon.send_signal(signal.SIGTERM)
            daemon.wait()
        os.sync()
        written = (sectors_written(device) - before) * 512
        rows.append((mode, seconds, rss, written, status, setup))
        shutil.rmtree(state)
        shutil.rmtree(os.path.join(work, "many-tcp-collector"), ignore_errors=True)
    print(f"\n## {pairs} pairs in one run (the files exist; each run writes one new slot per pair)\n")
    print("| writes | wall time | peak RSS | bytes written to disk | per pair | exit | setup (backfill 1 day) |")
    print("|---|---|---|---|---|---|---|")
    for mode, seconds, rss, written, status, setup in rows:
        print(f"| {mode} | {seconds:.2f} s | {rss / 1024:.1f} MiB | {written / 1e6:.1f} MB | "
              f"{written / pairs / 1024:.1f} KiB | {status} | {setup:.1f} s |")
    direct, cached, tcp = rows
    if cached[3] > 0:
        print(f"\nrrdcached / direct: time {cached[1] / direct[1]:.2f}x, bytes written {cached[3] / max(direct[3], 1):.2f}x")
    print(f"rrdcached over TCP (loopback) / direct: time {tcp[1] / direct[1]:.2f}x")
    print(f"(disk: {device}; bytes from /proc/diskstats, so other activity on the machine adds noise)")


def fake_at(fake_bin, offset):
    """The fake sources with their clock `offset` seconds ahead, so that their Date headers agree with the collector's."""
    env = dict(os.environ, FAKETIME_DONT_FAKE_MONOTONIC="1")
    proc = subprocess.Popen(["faketime", "-f", f"+{offset}s", fake_bin, "0"], stdout=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    return proc, proc.stdout.readline().strip().split()[-1]


def many_slots(btcrate, rrdcached, fake_bin, fake_url, work, pairs, slots):
    names = ",".join(f"S{i:04d}-USD" for i in range(pairs))
    device = device_of(work)
    rows = []
    for mode in ("direct", "rrdcached"):
        state = os.path.join(work, f"slots-{mode}")
        extra, _, _ = seeded_state(btcrate, fake_url, state, names)
        daemon = None
        if mode == "rrdcached":
            daemon, sock = start_rrdcached(rrdcached, state)
        os.sync()
        before = sectors_written(device)
        total, statuses = 0.0, []
        for slot in range(1, slots + 1):
            offset = slot * 600
            fake, url = fake_at(fake_bin, offset)
            run_env = base_env(state, url, extra)
            run_env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
            if daemon:
                run_env["BTCRATE_RRDCACHED_ADDRESS"] = f"unix:{sock}"
            seconds, _, status = timed(["faketime", "-f", f"+{offset}s", btcrate, "collect"], run_env)
            total += seconds
            statuses.append(status)
            # Real runs are 10 minutes apart, and the kernel writes dirty pages back
            # within 30 s (vm.dirty_expire_centisecs): without a sync here the page
            # cache would merge six back-to-back direct runs into one writeback, and
            # hide exactly what rrdcached's -w saves.
            os.sync()
            os.killpg(fake.pid, signal.SIGKILL)
            fake.wait()
        if daemon:
            daemon.send_signal(signal.SIGTERM)  # -F: everything it holds is written out, inside the window
            daemon.wait()
        os.sync()
        written = (sectors_written(device) - before) * 512
        rows.append((mode, total, written, statuses))
        shutil.rmtree(state)
    print(f"\n## {pairs} pairs over {slots} consecutive slots (clock moved with faketime), one run per slot\n")
    print("| writes | wall time, all runs | bytes written to disk | per pair and slot | exits |")
    print("|---|---|---|---|---|")
    for mode, total, written, statuses in rows:
        print(f"| {mode} | {total:.2f} s | {written / 1e6:.1f} MB | {written / pairs / slots / 1024:.1f} KiB | "
              f"{','.join(map(str, sorted(set(statuses))))} |")
    direct, cached = rows
    print(f"\nrrdcached -w 3600 / direct over {slots} slots: bytes written {cached[2] / max(direct[2], 1):.2f}x, "
          f"wall time {cached[1] / max(direct[1], 1e-9):.2f}x")
    print(f"(disk: {device}; bytes from /proc/diskstats, so other activity on the machine adds noise)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=6, help="consecutive slots in section 3")
    parser.add_argument("--only", choices=("single", "many", "slots"), action="append",
                        help="run only these sections (repeatable; default: all)")
    parser.add_argument("--skip-many", action="store_true", help="only the single-pair benchmark")
    args = parser.parse_args()

    btcrate = bin_path("btcrate")
    fake = subprocess.Popen([bin_path("btcrate-fake-sources"), "0"], stdout=subprocess.PIPE, text=True)
    fake_url = fake.stdout.readline().strip().split()[-1]
    work = tempfile.mkdtemp(prefix="btcrate-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    open(os.path.join(work, "empty.conf"), "w").close()
    try:
        print(f"btcrate collect benchmark: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, "
              f"{os.cpu_count()} CPUs, fake sources at {fake_url}")
        sections = set(args.only or (["single"] if args.skip_many else ["single", "many", "slots"]))
        rrdcached = shutil.which("rrdcached") or "/usr/bin/rrdcached"
        if "single" in sections:
            single_pair(btcrate, fake_url, work, args.runs)
        if "many" in sections:
            many_pairs(btcrate, rrdcached, fake_url, work, args.pairs)
        if "slots" in sections:
            many_slots(btcrate, rrdcached, bin_path("btcrate-fake-sources"), fake_url, work, args.pairs, args.slots)
    finally:
        fake.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
