"""Reload (SIGHUP) versus restart, as systemd sees them: the time from the signal
(or the process start) to READY=1 on a notification socket, for `btcrate graph` and
`btcrate watchdog`; and, for the graph service, how many requests of a client polling
/healthz without pause fail while it rebinds (a reload closes the listener and opens it
again; a restart also loses the process).

Prints a table; medians of --rounds rounds."""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Notify:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.path = path

    def wait_for(self, word, timeout=20):
        self.sock.settimeout(timeout)
        while True:
            message = self.sock.recv(4096).decode()
            if word in message.split("\n") or any(line.startswith(word) for line in message.split("\n")):
                return time.monotonic()


def start(binary, command, env, notify):
    started = time.monotonic()
    process = subprocess.Popen([binary, command], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = notify.wait_for("READY=1")
    return process, ready - started


class Poller(threading.Thread):
    """GETs /healthz back to back and counts answers and failures."""
    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.ok, self.failed, self.running = url, 0, 0, True

    def run(self):
        while self.running:
            try:
                urllib.request.urlopen(self.url, timeout=2).read()
                self.ok += 1
            except urllib.error.HTTPError:
                self.ok += 1          # 503 (no sample) is an answer
            except Exception:
                self.failed += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    binary = subprocess.check_output(["swift", "build", "-c", "release", "--show-bin-path"], text=True).strip() + "/btcrate"
    work = tempfile.mkdtemp(prefix="btcrate-reload-")
    open(os.path.join(work, "empty.conf"), "w").close()
    rows = []
    for command in ("graph", "watchdog"):
        port = free_port()
        env = {"PATH": "/usr/bin:/bin", "BTCRATE_CONFIG": os.path.join(work, "empty.conf"),
               "BTCRATE_STATE_DIRECTORY": os.path.join(work, "state"), "BTCRATE_LISTEN": f"127.0.0.1:{port}",
               "BTCRATE_LOG_TARGET": "stderr", "BTCRATE_GRAPH_HEALTH_URL": "off",
               "NOTIFY_SOCKET": os.path.join(work, f"{command}.sock")}
        notify = Notify(env["NOTIFY_SOCKET"])
        reloads, restarts = [], []
        reload_failed = restart_failed = 0
        poller = None
        process, _ = start(binary, command, env, notify)
        if command == "graph":
            poller = Poller(f"http://127.0.0.1:{port}/healthz")
            poller.start()
        for _ in range(args.rounds):
            before = poller.failed if poller else 0
            sent = time.monotonic()
            process.send_signal(signal.SIGHUP)
            notify.wait_for("RELOADING=1")
            reloads.append(notify.wait_for("READY=1") - sent)
            time.sleep(0.2)
            reload_failed += (poller.failed - before) if poller else 0
        for _ in range(args.rounds):
            before = poller.failed if poller else 0
            sent = time.monotonic()
            process.terminate()
            process.wait()
            process, seconds = start(binary, command, env, notify)
            restarts.append(time.monotonic() - sent)
            time.sleep(0.2)
            restart_failed += (poller.failed - before) if poller else 0
        if poller:
            poller.running = False
            poller.join()
        process.terminate()
        process.wait()
        rows.append((command, statistics.median(reloads) * 1000, statistics.median(restarts) * 1000,
                     reload_failed / args.rounds if poller else None, restart_failed / args.rounds if poller else None))
    print(f"{args.rounds} rounds each, medians; release build; failed = requests of a back-to-back /healthz poller that got no answer")
    print(f"{'service':<10} {'reload -> READY':>16} {'restart -> READY':>17} {'ratio':>6} {'failed/reload':>14} {'failed/restart':>15}")
    for command, reload_ms, restart_ms, rf, sf in rows:
        failed = f"{rf:>14.1f} {sf:>15.1f}" if rf is not None else f"{'-':>14} {'-':>15}"
        print(f"{command:<10} {reload_ms:>13.1f} ms {restart_ms:>14.1f} ms {restart_ms / reload_ms:>5.1f}x {failed}")


if __name__ == "__main__":
    main()
