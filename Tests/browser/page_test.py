#!/usr/bin/python3
"""Browser test of the graph page in headless Chromium, over the DevTools protocol.

Starts the fake price sources, seeds a state directory with `btcrate backfill`,
serves it with `btcrate graph` on a free loopback port, then in Chromium:
loads the page, drags across the graph to zoom, and checks that the URL and the
image now show the selected range (mapped through the geometry librrd reported),
that no console or CSP errors occurred, and that the page fits a phone-width
screen. Screenshots go to .build/test-artifacts/.

Usage: page_test.py BIN_DIR   (the directory holding btcrate and btcrate-fake-sources)
Prints one line per check and ends with "browser: N passed, M failed".
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websocket  # Debian's python3-websocket

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, ".build", "test-artifacts")
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok     " if ok else "FAILED ") + name + (f" ({detail})" if detail and not ok else ""), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=20, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


class DevTools:
    """The few DevTools calls the test needs, over one page's websocket."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=30)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def mouse(self, kind, x, y, buttons):
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", buttons=buttons, clickCount=1)

    def screenshot(self, name):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        import base64
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, name)
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))
        return path


def image_loaded(tools):
    return tools.evaluate("(() => { const i = document.getElementById('graph');"
                          " return i.complete && i.naturalWidth > 0 ? i.src : null; })()")


def main():
    bin_dir = sys.argv[1]
    work = tempfile.mkdtemp(prefix="btcrate-browser-")
    processes = []
    try:
        fake = subprocess.Popen([os.path.join(bin_dir, "btcrate-fake-sources"), "0"], stdout=subprocess.PIPE, text=True)
        processes.append(fake)
        fake_url = fake.stdout.readline().strip().split()[-1]
        open(os.path.join(work, "empty.conf"), "w").close()
        port = free_port()
        env = {"PATH": "/usr/bin:/bin", "BTCRATE_STATE_DIRECTORY": os.path.join(work, "state"),
               "BTCRATE_CONFIG": os.path.join(work, "empty.conf"), "BTCRATE_LISTEN": f"127.0.0.1:{port}",
               "BTCRATE_LOG_TARGET": "stderr"}
        for source in ("ALPHAVANTAGE", "COINBASE", "KRAKEN", "BITSTAMP"):
            env[f"BTCRATE_{source}_URL"] = fake_url
        btcrate = os.path.join(bin_dir, "btcrate")
        subprocess.run([btcrate, "backfill", "--days", "14", "--quiet"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([btcrate, "collect"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # A firing alert as the watchdog would keep it, for the page's banner.
        now = int(time.time())
        with open(os.path.join(work, "state", "alerts.json"), "w") as out:
            json.dump({"version": 1, "updated_at": "", "alerts": [{
                "key": {"name": "FallbackInUse", "pair": "BTC-USD"}, "phase": "firing", "severity": "info",
                "summary": "BTC-USD: samples come from Coinbase Exchange, a fallback source", "description": "d",
                "active_since": now, "fired_at": now, "last_notified_at": now}]}, out)
        graph = subprocess.Popen([btcrate, "graph"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(graph)
        base = f"http://127.0.0.1:{port}"
        check("graph service answers /healthz", wait_for(lambda: _get(base + "/healthz") == 200) is not None)

        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        profile = os.path.join(work, "profile")
        browser = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                    "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        processes.append(browser)
        devtools_port = None
        for line in browser.stderr:
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                devtools_port = match.group(1)
                break
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        tools.call("Page.enable")
        tools.call("Runtime.enable")
        tools.call("Log.enable")
        tools.call("Emulation.setDeviceMetricsOverride", width=1200, height=800, deviceScaleFactor=1, mobile=False)
        tools.call("Page.navigate", url=base + "/?start=-7d&end=now")
        first_src = wait_for(lambda: image_loaded(tools))
        check("page loads and shows a graph", first_src is not None)
        tools.screenshot("page-7d.png")
        banner = wait_for(lambda: tools.evaluate("document.getElementById('alerts').hidden ? null : document.getElementById('alerts').innerText"))
        check("the banner shows the firing alert", banner is not None and "FallbackInUse" in banner, str(banner))
        check("the page states the time zone", "UTC" in (tools.evaluate("document.body.innerText") or ""))
        check("the summary shows the latest rate and its source",
              "source: " in (tools.evaluate("document.getElementById('summary').innerText") or ""))

        # Geometry of the image on screen, from the same endpoint the page uses.
        src = urllib.parse.urlparse(first_src)
        params = dict(urllib.parse.parse_qsl(src.query))
        meta = json.load(urllib.request.urlopen(base + "/graph.json?" + urllib.parse.urlencode(params)))
        rect = tools.evaluate("(() => { const r = document.getElementById('graph').getBoundingClientRect();"
                              " return {left: r.left, top: r.top, width: r.width, height: r.height}; })()")
        scale = rect["width"] / meta["image_width"]
        left = rect["left"] + meta["graph_left"] * scale
        plot_width = meta["graph_width"] * scale
        y = rect["top"] + (meta["graph_top"] + meta["graph_height"] / 2) * scale
        x1, x2 = left + 0.30 * plot_width, left + 0.60 * plot_width
        span = meta["graph_end"] - meta["graph_start"]
        expected_start = meta["graph_start"] + 0.30 * span
        expected_end = meta["graph_start"] + 0.60 * span

        tools.mouse("mouseMoved", x1, y, 0)
        tools.mouse("mousePressed", x1, y, 1)
        for step in range(1, 11):
            tools.mouse("mouseMoved", x1 + (x2 - x1) * step / 10, y, 1)
        tools.screenshot("page-dragging.png")
        tools.mouse("mouseReleased", x2, y, 0)

        location = wait_for(lambda: (lambda s: s if re.search(r"start=\d+&end=\d+", s or "") else None)(
            tools.evaluate("location.search")))
        check("drag to zoom writes an absolute range into the URL", location is not None, str(location))
        if location:
            query = dict(urllib.parse.parse_qsl(location.lstrip("?")))
            tolerance = 2 * span / meta["graph_width"] + 60
            got_start, got_end = int(query["start"]), int(query["end"])
            check("the URL's range is the dragged range, mapped through librrd's geometry",
                  abs(got_start - expected_start) <= tolerance and abs(got_end - expected_end) <= tolerance,
                  f"got {got_start}..{got_end}, expected {expected_start:.0f}..{expected_end:.0f} ± {tolerance:.0f}")
            zoomed_src = wait_for(lambda: (lambda s: s if s and s != first_src else None)(image_loaded(tools)))
            check("the image is replaced by one of the new range", zoomed_src is not None)
            if zoomed_src:
                image_query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(zoomed_src).query))
                check("the new image shows exactly the URL's range",
                      image_query.get("start") == query["start"] and image_query.get("end") == query["end"],
                      f"{image_query} vs {query}")
            shot = tools.screenshot("page-zoomed.png")
            check("screenshot saved", os.path.getsize(shot) > 1000, shot)

            # A shared URL reproduces the view.
            tools.call("Page.navigate", url=base + "/" + location)
            reloaded = wait_for(lambda: image_loaded(tools))
            check("the URL reproduces the view",
                  reloaded is not None and f"start={query['start']}" in reloaded and f"end={query['end']}" in reloaded)

        # "all" starts at the oldest sample; "now" after a long view sends a long relative span.
        tools.call("Page.navigate", url=base + "/?start=-7d&end=now")
        wait_for(lambda: image_loaded(tools))
        def view_after(pattern):
            """The page's URL once it matches, with its image loaded (the image URL is the
            server's absolute one; the page's own URL keeps the view as the user chose it)."""
            return wait_for(lambda: (lambda s: s if re.search(pattern, s or "") and image_loaded(tools) else None)(
                tools.evaluate("location.search")))

        tools.evaluate("document.querySelector('#presets button[data-range=all]').click()")
        all_view = view_after(r"start=first&end=now")
        status = tools.evaluate("document.getElementById('status').className")
        check("the 'all' preset shows a graph", all_view is not None and status != "error", f"{all_view} {status}")
        if all_view:
            all_meta = json.load(urllib.request.urlopen(base + "/graph.json" + all_view))
            all_days = (all_meta["graph_end"] - all_meta["graph_start"]) / 86400
            check("'all' spans the stored history (14 days of backfill)", 13.5 <= all_days <= 16.5, f"{all_days:.2f} days")
        tools.evaluate("document.querySelector('#presets button[data-range=\"30d\"]').click()")
        view_after(r"start=-30d&end=now")
        tools.evaluate("document.getElementById('back').click()")
        view_after(r"start=\d+&end=\d+")
        tools.evaluate("document.getElementById('now').click()")
        now_view = view_after(r"start=-\d{7,}s&end=now")
        status = tools.evaluate("document.getElementById('status').className")
        check("'now' after panning a 30-day view shows a graph", now_view is not None and status != "error", f"{now_view} {status}")

        # Phone width: nothing overflows horizontally.
        tools.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
        tools.call("Page.navigate", url=base + "/?start=-1d&end=now")
        wait_for(lambda: image_loaded(tools))
        overflow = tools.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        check("the page fits a phone-width screen", overflow is False)
        tools.screenshot("page-phone.png")

        problems = [e for e in tools.events
                    if e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error"
                    or e.get("method") == "Runtime.exceptionThrown"]
        check("no console errors, exceptions or CSP violations", not problems,
              "; ".join(json.dumps(p)[:200] for p in problems))
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
    failed = results.count(False)
    print(f"browser: {len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def _get(url):
    try:
        return urllib.request.urlopen(url, timeout=2).status
    except Exception:
        return None


if __name__ == "__main__":
    main()
