#!/usr/bin/env python3
"""Alert latency of `btcrate watchdog`, printed beside the anchors measured for
vmalert + Alertmanager on this kind of machine (2.6 s tuned, 31.7 s with defaults).

Two conditions, each measured from the moment the condition exists to (a) the
watchdog's log line for the transition (the entry that goes to the journal under
systemd; here on stderr) and (b) the arrival of the webhook at a receiver on
127.0.0.1:
  - an event: collection runs fail (CollectorFailing after --failures runs), from
    the moment the failing run's record is written;
  - a deadline: RateStale with stale_warning_slots = 1, from the deadline itself
    (newest sample + 1 slot + 2 minutes of grace). This part waits for that deadline,
    up to 12 minutes.

Run through bench/alerts.sh, which builds the release binaries first.
"""
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
arrivals = []


def bin_path(name):
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(out, name)


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


def wait_for_webhook(alertname, after, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for arrived, body in arrivals:
            if arrived >= after and any(a["labels"]["alertname"] == alertname and a["status"] == "firing" for a in body["alerts"]):
                return arrived
        time.sleep(0.005)
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
            for arrived, line in self.lines:
                if arrived >= after and text in line:
                    return arrived
            time.sleep(0.005)
        return None


def main():
    btcrate = bin_path("btcrate")
    work = tempfile.mkdtemp(prefix="btcrate-alert-bench-")
    processes = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fake = subprocess.Popen([bin_path("btcrate-fake-sources"), "0"], stdout=subprocess.PIPE, text=True)
        processes.append(fake)
        fake_url = fake.stdout.readline().strip().split()[-1]
        open(os.path.join(work, "empty.conf"), "w").close()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BTCRATE_STATE_DIRECTORY": os.path.join(work, "state"),
               "BTCRATE_CONFIG": os.path.join(work, "empty.conf"), "BTCRATE_LOG_TARGET": "stderr",
               "BTCRATE_SOURCES": "coinbase", "BTCRATE_COLLECTOR_FAILURES": "1", "BTCRATE_ALERTS_FOR": "0s",
               "BTCRATE_STALE_WARNING_SLOTS": "1", "BTCRATE_GRAPH_HEALTH_URL": "off",
               "BTCRATE_WEBHOOK_URL": f"http://127.0.0.1:{server.server_port}/hook"}
        for source in ("ALPHAVANTAGE", "COINBASE", "KRAKEN", "BITSTAMP"):
            env[f"BTCRATE_{source}_URL"] = fake_url
        # History up to the previous slot: the current slot is still free for a failing run.
        subprocess.run([btcrate, "backfill", "--days", "1", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
        watchdog = subprocess.Popen([btcrate, "watchdog"], env=env, stderr=subprocess.PIPE, text=True)
        processes.append(watchdog)
        lines = LineWatcher(watchdog.stderr)
        lines.wait_for("watchdog started", 0, 10)
        time.sleep(1)

        rows = []
        # Event: a failing collection run.
        urllib.request.urlopen(fake_url + "/_fake/behaviour?source=coinbase&mode=http500").read()
        subprocess.run([btcrate, "collect"], env=env, stderr=subprocess.DEVNULL)
        record = os.path.join(work, "state", "last-run.json")
        condition = os.stat(record).st_mtime
        journal = lines.wait_for("CollectorFailing firing", condition - 1, 60)
        webhook = wait_for_webhook("CollectorFailing", condition - 1, 60)
        rows.append(("event: collection run fails (CollectorFailing)", condition, journal, webhook))
        urllib.request.urlopen(fake_url + "/_fake/behaviour?mode=reset").read()

        now = time.time()
        slot = int(now) // 600 * 600
        if now > slot + 100:
            # Too late for the previous slot's deadline: store this slot's sample, due at the next one.
            subprocess.run([btcrate, "collect"], env=env, check=True, stderr=subprocess.DEVNULL)
            stale_deadline = slot + 600 + 120
        else:
            stale_deadline = slot + 120
        decided = time.time()

        # Deadline: no new sample; RateStale is due at the deadline.
        print(f"waiting {max(0, stale_deadline - time.time()):.0f} s for the staleness deadline...", file=sys.stderr)
        journal = lines.wait_for("RateStale firing", decided, stale_deadline - time.time() + 60)
        webhook = wait_for_webhook("RateStale", decided, 60)
        rows.append(("deadline: newest sample too old (RateStale)", stale_deadline, journal, webhook))

        print(f"btcrate alert latency: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, {os.cpu_count()} CPUs\n")
        print("| condition | to the journal line | to the webhook | vmalert + Alertmanager, tuned | with defaults |")
        print("|---|---|---|---|---|")
        for label, start, to_journal, to_webhook in rows:
            def fmt(moment):
                return "not seen" if moment is None else f"{(moment - start) * 1000:.0f} ms"
            print(f"| {label} | {fmt(to_journal)} | {fmt(to_webhook)} | 2.6 s | 31.7 s |")
        print("\n(event latency is from the run record's mtime; deadline latency from the computed deadline)")
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait()
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
