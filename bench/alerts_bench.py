#!/usr/bin/env python3
"""Alert latency and evaluation cost of `btcrate watchdog`, printed beside the
anchors measured for vmalert + Alertmanager on this kind of machine (2.6 s tuned,
31.7 s with defaults).

1. Latency, median of --rounds (default 20) rounds. Each round makes a condition
   true, then false again, by replacing the run record (last-run.json) with one
   saying the collection failed (CollectorFailing, collector_failures = 1, for: 0)
   and then with one saying it worked. From the moment the record is renamed into
   place to (a) the watchdog's log line for the transition (the entry that goes to
   the journal under systemd; here on stderr), (b) the webhook's arrival at a
   receiver on 127.0.0.1, and (c) the alert showing in (or leaving) Debian's
   Alertmanager's own API (GET /api/v2/alerts, polled every 2 ms), when
   prometheus-alertmanager is installed. notify.group_wait is 0 here: the raw path.
2. The same with the default notify.group_wait (30 s), --group-rounds rounds
   (default 3): the webhook then waits for the group by design.
3. Evaluation time: one evaluation (reading every pair's RRD file, the run record,
   the rules, routing) for 1 and for --pairs (default 1,000) pairs, median of 20,
   from the watchdog's debug line. The pairs' files are real, a day of history each.
4. --deadline: RateStale at a staleness deadline (waits for a real one, up to 12 minutes).

Run through bench/alerts.sh, which builds the release binaries first.
"""
import argparse
import http.server
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
ALERTMANAGER = shutil.which("prometheus-alertmanager")
arrivals = []


def bin_path(name):
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(out, name)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        arrivals.append((time.time(), json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def wait_for_webhook(alertname, status, after, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for arrived, body in list(arrivals):
            if arrived >= after and any(a["labels"]["alertname"] == alertname and a["status"] == status
                                        for a in body["alerts"]):
                return arrived
        time.sleep(0.002)
    return None


class LineWatcher:
    """Timestamps the watchdog's stderr lines as they arrive."""

    def __init__(self, stream):
        self.lines = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.lines.append((time.time(), line))

    def wait_for(self, text, after, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for arrived, line in list(self.lines):
                if arrived >= after and text in line:
                    return arrived
            time.sleep(0.002)
        return None


def wait_for_alertmanager(url, alertname, present, timeout):
    """When the alert is active in (present) or gone from (not present) Alertmanager's API."""
    deadline = time.time() + timeout
    query = url + "/api/v2/alerts?active=true&silenced=false&inhibited=false&filter=" + \
        urllib.request.quote(f'alertname="{alertname}"')
    while time.time() < deadline:
        try:
            alerts = json.loads(urllib.request.urlopen(query, timeout=2).read())
        except OSError:
            alerts = None
        if alerts is not None and (len(alerts) > 0) == present:
            return time.time()
        time.sleep(0.002)
    return None


def base_env(work, fake_url, **extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BTCRATE_STATE_DIRECTORY": os.path.join(work, "state"),
           "BTCRATE_CONFIG": os.path.join(work, "empty.conf"), "BTCRATE_LOG_TARGET": "stderr",
           "BTCRATE_SOURCES": "coinbase", "BTCRATE_COLLECTOR_FAILURES": "1", "BTCRATE_ALERTS_FOR": "0s",
           "BTCRATE_GRAPH_HEALTH_URL": "off"}
    for source in ("ALPHAVANTAGE", "COINBASE", "KRAKEN", "BITSTAMP"):
        env[f"BTCRATE_{source}_URL"] = fake_url
    env.update(extra)
    return env


def median_ms(values):
    seen = [v for v in values if v is not None]
    if not seen:
        return "not seen"
    text = f"{statistics.median(seen) * 1000:.1f} ms"
    return text if len(seen) == len(values) else f"{text} ({len(values) - len(seen)} not seen)"


def place(record, content):
    """Renames `content` into place as the run record; returns the moment just
    before the rename (the watchdog may answer before this process reads the clock
    again: measuring from after the rename would miss it)."""
    temporary = record + ".bench"
    with open(temporary, "w") as out:
        out.write(content)
    moment = time.time()
    os.rename(temporary, record)
    return moment


def latency(btcrate, fake_url, work, rounds, group_wait, alertmanager_url):
    """Rounds of CollectorFailing firing and resolving; returns {(transition, path): [seconds]}."""
    state = os.path.join(work, "state")
    env = base_env(work, fake_url, BTCRATE_WEBHOOK_URL=f"http://127.0.0.1:{RECEIVER_PORT}/hook",
                   BTCRATE_NOTIFY_GROUP_WAIT=group_wait)
    if alertmanager_url:
        env["BTCRATE_ALERTMANAGER_URL"] = alertmanager_url
    record = os.path.join(state, "last-run.json")
    # The two records, from real runs: one that failed, one that worked.
    urllib.request.urlopen(fake_url + "/_fake/behaviour?source=coinbase&mode=http500").read()
    subprocess.run([btcrate, "collect"], env=env, stderr=subprocess.DEVNULL)
    failed = open(record).read()
    urllib.request.urlopen(fake_url + "/_fake/behaviour?mode=reset").read()
    subprocess.run([btcrate, "collect"], env=env, stderr=subprocess.DEVNULL)
    worked = open(record).read()

    watchdog = subprocess.Popen([btcrate, "watchdog"], env=env, stderr=subprocess.PIPE, text=True)
    results = {}
    try:
        lines = LineWatcher(watchdog.stderr)
        if lines.wait_for("watchdog started", 0, 20) is None:
            sys.exit("the watchdog did not start")
        time.sleep(1)
        for number in range(rounds):
            for transition, content, word, present in (("firing", failed, "CollectorFailing firing", True),
                                                       ("resolved", worked, "CollectorFailing resolved", False)):
                start = place(record, content)
                journal = lines.wait_for(word, start, 60)
                hook = wait_for_webhook("CollectorFailing", transition, start, 90)
                manager = wait_for_alertmanager(alertmanager_url, "CollectorFailing", present, 60) if alertmanager_url else None
                for path, moment in (("journal", journal), ("webhook", hook), ("alertmanager", manager)):
                    results.setdefault((transition, path), []).append(None if moment is None else moment - start)
            print(f"  round {number + 1}/{rounds}", file=sys.stderr)
    finally:
        watchdog.terminate()
        watchdog.wait()
    return results


def evaluation(btcrate, fake_url, work, pairs, samples=20):
    """Median evaluation time (ms) for `pairs` pairs with a day of history each."""
    names = ",".join(f"E{i:04d}-USD" for i in range(pairs))
    folder = os.path.join(work, f"eval-{pairs}")
    os.makedirs(folder)
    env = base_env(folder, fake_url, BTCRATE_PAIRS=names, BTCRATE_CONCURRENCY="8", BTCRATE_LOG_LEVEL="debug",
                   BTCRATE_WATCHDOG_POLL="1s", BTCRATE_CONFIG=os.path.join(work, "empty.conf"))
    started = time.time()
    subprocess.run([btcrate, "backfill", "--days", "1", "--quiet"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    setup = time.time() - started
    watchdog = subprocess.Popen([btcrate, "watchdog"], env=env, stderr=subprocess.PIPE, text=True)
    pattern = re.compile(r"evaluated (\d+) pair\(s\) in ([\d.]+) ms \(reading them ([\d.]+) ms\)")
    totals, reads = [], []
    try:
        deadline = time.time() + 60 + samples * 5
        for line in watchdog.stderr:
            match = pattern.search(line)
            if match and int(match.group(1)) == pairs:
                totals.append(float(match.group(2)))
                reads.append(float(match.group(3)))
                if len(totals) > samples:   # the first one pays for the cold start
                    break
            if time.time() > deadline:
                break
    finally:
        watchdog.terminate()
        watchdog.wait()
        shutil.rmtree(folder, ignore_errors=True)
    totals, reads = totals[1:], reads[1:]
    if not totals:
        return None
    return statistics.median(totals), statistics.median(reads), len(totals), setup


def deadline_latency(btcrate, fake_url, work):
    """RateStale at a real staleness deadline (stale_warning_slots = 1)."""
    env = base_env(work, fake_url, BTCRATE_WEBHOOK_URL=f"http://127.0.0.1:{RECEIVER_PORT}/hook",
                   BTCRATE_NOTIFY_GROUP_WAIT="0", BTCRATE_STALE_WARNING_SLOTS="1",
                   BTCRATE_STATE_DIRECTORY=os.path.join(work, "stale-state"))
    subprocess.run([btcrate, "backfill", "--days", "1", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    now = time.time()
    slot = int(now) // 600 * 600
    if now > slot + 100:
        subprocess.run([btcrate, "collect"], env=env, check=True, stderr=subprocess.DEVNULL)
        stale_deadline = slot + 600 + 120
    else:
        stale_deadline = slot + 120
    watchdog = subprocess.Popen([btcrate, "watchdog"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        lines = LineWatcher(watchdog.stderr)
        decided = time.time()
        print(f"waiting {max(0, stale_deadline - time.time()):.0f} s for the staleness deadline...", file=sys.stderr)
        journal = lines.wait_for("RateStale firing", decided, stale_deadline - time.time() + 60)
        hook = wait_for_webhook("RateStale", "firing", decided, 60)
    finally:
        watchdog.terminate()
        watchdog.wait()
    return [None if m is None else m - stale_deadline for m in (journal, hook)]


RECEIVER_PORT = 0


def main():
    global RECEIVER_PORT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--group-rounds", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--deadline", action="store_true", help="also measure RateStale at a real deadline (up to 12 min)")
    args = parser.parse_args()

    btcrate = bin_path("btcrate")
    work = tempfile.mkdtemp(prefix="btcrate-alert-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    open(os.path.join(work, "empty.conf"), "w").close()
    processes = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    RECEIVER_PORT = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fake = subprocess.Popen([bin_path("btcrate-fake-sources"), "0"], stdout=subprocess.PIPE, text=True)
        processes.append(fake)
        fake_url = fake.stdout.readline().strip().split()[-1]
        manager_url = None
        if ALERTMANAGER:
            port = free_port()
            manager_url = f"http://127.0.0.1:{port}"
            with open(os.path.join(work, "alertmanager.yml"), "w") as config:
                config.write("route:\n  receiver: none\nreceivers:\n  - name: none\n")
            processes.append(subprocess.Popen(
                [ALERTMANAGER, f"--config.file={work}/alertmanager.yml", f"--storage.path={work}/am-data",
                 f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            if wait_for_alertmanager(manager_url, "none", False, 30) is None:
                sys.exit("Alertmanager did not start")
        else:
            print("prometheus-alertmanager is not installed: the Alertmanager column is left out", file=sys.stderr)

        print(f"latency, group_wait 0, {args.rounds} rounds...", file=sys.stderr)
        raw = latency(btcrate, fake_url, work, args.rounds, "0", manager_url)
        shutil.rmtree(os.path.join(work, "state"), ignore_errors=True)
        print(f"latency, group_wait 30s, {args.group_rounds} rounds...", file=sys.stderr)
        grouped = latency(btcrate, fake_url, work, args.group_rounds, "30s", None) if args.group_rounds else {}
        shutil.rmtree(os.path.join(work, "state"), ignore_errors=True)
        print("evaluation time...", file=sys.stderr)
        costs = [(n, evaluation(btcrate, fake_url, work, n)) for n in sorted({1, args.pairs})]
        stale = deadline_latency(btcrate, fake_url, work) if args.deadline else None

        print(f"btcrate watchdog: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, {os.cpu_count()} CPUs, release build\n")
        print(f"## Condition to notification, CollectorFailing, median of {args.rounds} (notify.group_wait = 0)\n")
        print("| transition | to the journal line | to the webhook | into Alertmanager's API | vmalert + Alertmanager, tuned | with defaults |")
        print("|---|---|---|---|---|---|")
        for transition in ("firing", "resolved"):
            manager = median_ms(raw[(transition, "alertmanager")]) if manager_url else "not run"
            print(f"| {transition} | {median_ms(raw[(transition, 'journal')])} | {median_ms(raw[(transition, 'webhook')])} | "
                  f"{manager} | 2.6 s | 31.7 s |")
        if grouped:
            print(f"\nWith the default notify.group_wait = 30s ({args.group_rounds} rounds): to the journal "
                  f"{median_ms(grouped[('firing', 'journal')])}, to the webhook {median_ms(grouped[('firing', 'webhook')])} "
                  "(the group wait, by design; Alertmanager is never held).")
        print("\n## One evaluation (read every pair's file and the run record, evaluate, route), median of 20\n")
        print("| pairs | evaluation | of which reading the files | setup (backfill 1 day) |")
        print("|---|---|---|---|")
        for pairs, cost in costs:
            if cost is None:
                print(f"| {pairs} | not seen | | |")
            else:
                total, read, count, setup = cost
                print(f"| {pairs} | {total:.1f} ms | {read:.1f} ms | {setup:.1f} s |")
        if stale:
            print(f"\nRateStale at its deadline: journal {median_ms([stale[0]])}, webhook {median_ms([stale[1]])} after the deadline.")
        print("\n(latency from the rename of the run record into place; Alertmanager polled every 2 ms)")
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait()
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
