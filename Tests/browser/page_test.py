#!/usr/bin/python3
"""Browser test of the graph page in headless Chromium, over the DevTools protocol.

Starts the fake price sources, seeds a state directory with `btcrate backfill`,
serves it with `btcrate graph` on a free loopback port, then in Chromium:
loads the page, drags across the graph to zoom, and checks that the URL and the
image now show the selected range (mapped through the geometry librrd reported),
that no console or CSP errors occurred, and that the page fits a phone-width
screen. Then the wheel, the keys, a pinch and a swipe (touch through DevTools),
a double-click and a click on an alert period, each checked against the range
librrd's geometry gives; the browser's time zone (Chromium runs with
TZ=Asia/Tokyo); the theme following prefers-color-scheme and its toggle; the
pixel ratio; the empty state of a pair with no sample; accessible names.
Screenshots (light and dark, phone and desktop, dpr 1 and 2) go to
.build/test-artifacts/.

Usage: page_test.py BIN_DIR   (the directory holding btcrate and btcrate-fake-sources)
Prints one line per check and ends with "browser: N passed, M failed".
"""
import json
import math
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

    def wheel(self, x, y, delta_y):
        self.call("Input.dispatchMouseEvent", type="mouseWheel", x=x, y=y, deltaX=0, deltaY=delta_y)

    def key(self, key, code=None, shift=False):
        code = code or key
        modifiers = 8 if shift else 0
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": key, "code": code, "modifiers": modifiers}
            if kind == "keyDown" and len(key) == 1:
                params["text"] = key
            self.call("Input.dispatchKeyEvent", **params)

    def touch(self, kind, points):
        self.call("Input.dispatchTouchEvent", type=kind,
                  touchPoints=[{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)])

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
        # A period in which an alert fired for the pair, as the watchdog's history keeps it.
        with open(os.path.join(work, "state", "alert-history.jsonl"), "w") as out:
            for event, at in (("firing", now - 3 * 86400), ("resolved", now - 3 * 86400 + 7200)):
                out.write(json.dumps({"at": at, "event": event, "alert": "RateStale", "pair": "BTC-USD", "severity": "warning",
                                      "summary": "no new sample for 40 min", "started_at": now - 3 * 86400}) + "\n")
        graph = subprocess.Popen([btcrate, "graph"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(graph)
        # A second service over a state directory with no sample yet: the empty state.
        empty_port = free_port()
        empty_env = dict(env, BTCRATE_STATE_DIRECTORY=os.path.join(work, "empty-state"), BTCRATE_LISTEN=f"127.0.0.1:{empty_port}")
        os.makedirs(empty_env["BTCRATE_STATE_DIRECTORY"])
        empty_graph = subprocess.Popen([btcrate, "graph"], env=empty_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(empty_graph)
        base = f"http://127.0.0.1:{port}"
        check("graph service answers /healthz", wait_for(lambda: _get(base + "/healthz") == 200) is not None)

        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        profile = os.path.join(work, "profile")
        # The browser's own zone is Tokyo's: the page must default to it, not to UTC or the host's.
        browser = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                    "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   env=dict(os.environ, TZ="Asia/Tokyo"))
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

        gestures(tools, base)
        looks(tools, base, f"http://127.0.0.1:{empty_port}")

        # Phone width: nothing overflows horizontally.
        tools.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
        tools.call("Page.navigate", url=base + "/?start=-1d&end=now")
        wait_for(lambda: image_loaded(tools))
        overflow = tools.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        check("the page fits a phone-width screen", overflow is False)
        tools.screenshot("page-phone.png")

        # The empty service's 404 for its pair is expected: the page shows its empty state from it.
        problems = [e for e in tools.events
                    if e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error"
                    and not e["params"]["entry"].get("url", "").startswith(f"http://127.0.0.1:{empty_port}/graph.json")
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


def plot(tools, base):
    """The image on screen, its geometry (from /graph.json for exactly that image)
    and where its plot lies in the viewport."""
    src = image_loaded(tools)
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(src).query))
    meta = json.load(urllib.request.urlopen(base + "/graph.json?" + urllib.parse.urlencode(params)))
    rect = tools.evaluate("(() => { const r = document.getElementById('graph').getBoundingClientRect();"
                          " return {left: r.left, top: r.top, width: r.width, height: r.height}; })()")
    scale = rect["width"] / meta["image_width"]
    return {
        "src": src, "meta": meta, "scale": scale,
        "left": rect["left"] + meta["graph_left"] * scale, "width": meta["graph_width"] * scale,
        "y": rect["top"] + (meta["graph_top"] + meta["graph_height"] / 2) * scale,
        "start": meta["graph_start"], "end": meta["graph_end"], "span": meta["graph_end"] - meta["graph_start"],
    }


def time_at(p, x):
    return p["start"] + (x - p["left"]) / p["width"] * p["span"]


def settled_view(tools, before_src):
    """The page's range once a gesture has settled and the new image is on screen."""
    def ready():
        src = image_loaded(tools)
        search = tools.evaluate("location.search") or ""
        if not src or src == before_src:
            return None
        return search
    search = wait_for(ready)
    if not search:
        return None
    return dict(urllib.parse.parse_qsl(search.lstrip("?")))


def graph_json_requests(tools):
    return tools.evaluate("performance.getEntriesByType('resource').filter(e => e.name.includes('/graph.json')).length")


def range_matches(name, query, start, end, p, slack_pixels=2):
    """The URL's absolute range against the expected one, within a few pixels' worth of time."""
    if not query or not re.fullmatch(r"\d+", query.get("start", "")) or not re.fullmatch(r"\d+", query.get("end", "")):
        check(name, False, f"no absolute range in the URL: {query}")
        return
    tolerance = slack_pixels * p["span"] / p["meta"]["graph_width"] + 60
    got_start, got_end = int(query["start"]), int(query["end"])
    check(name, abs(got_start - start) <= tolerance and abs(got_end - end) <= tolerance,
          f"got {got_start}..{got_end}, expected {start:.0f}..{end:.0f} ± {tolerance:.0f}")


def load_view(tools, base, search):
    """Navigates and waits for the new document's image (never the old document's)."""
    tools.evaluate("window.previousDocument = true")
    tools.call("Page.navigate", url=base + "/" + search)
    return wait_for(lambda: (lambda s: s if s and "start=" in s else None)(
        tools.evaluate("window.previousDocument ? null : (() => { const i = document.getElementById('graph');"
                       " return i && i.complete && i.naturalWidth > 0 ? i.src : null; })()")))


def gestures(tools, base):
    """Wheel, keys, double-click, pinch, swipe and an alert period, each mapped through librrd's geometry."""
    week_ago = int(time.time()) - 7 * 86400
    view = f"?start={week_ago}&end={week_ago + 4 * 86400}"

    # The wheel: three notches in at 40 % of the plot keep that time under the cursor; one render.
    load_view(tools, base, view)
    p = plot(tools, base)
    x = p["left"] + 0.4 * p["width"]
    t = time_at(p, x)
    requests_before = graph_json_requests(tools)
    for _ in range(3):
        tools.wheel(x, p["y"], -100)
    factor = math.exp(-100 * 0.002) ** 3
    span = p["span"] * factor
    query = settled_view(tools, p["src"])
    range_matches("the wheel zooms around the cursor, through librrd's geometry", query, t - 0.4 * span, t + 0.6 * span, p)
    check("a wheel spin is one render", graph_json_requests(tools) - requests_before == 1,
          f"{graph_json_requests(tools) - requests_before} /graph.json requests")

    # Keys on the focused graph: ← pans a quarter back, + zooms in twice around the middle, Home returns to now.
    load_view(tools, base, view)
    p = plot(tools, base)
    tools.evaluate("document.getElementById('frame').focus()")
    readout = wait_for(lambda: tools.evaluate("(() => { const r = document.getElementById('readout'); return r.hidden ? null : r.innerText; })()"))
    check("the readout is reachable by keyboard", readout is not None and re.search(r"\d{2}:\d{2}.*\d", readout or "") is not None, str(readout))
    tools.key("ArrowLeft")
    query = settled_view(tools, p["src"])
    range_matches("← pans a quarter of the view back", query, p["start"] - p["span"] / 4, p["end"] - p["span"] / 4, p)
    p = plot(tools, base)
    tools.evaluate("document.getElementById('frame').focus()")
    tools.key("+", "Equal")
    query = settled_view(tools, p["src"])
    middle = (p["start"] + p["end"]) / 2
    range_matches("+ zooms in around the middle", query, middle - p["span"] / 4, middle + p["span"] / 4, p)
    p = plot(tools, base)
    tools.evaluate("document.getElementById('frame').focus()")
    tools.key("Home")
    search = wait_for(lambda: (lambda s: s if re.search(r"start=-\d+s&end=now", s or "") else None)(tools.evaluate("location.search")))
    check("Home returns to now with the same span", search is not None and abs(int(re.search(r"start=-(\d+)s", search).group(1)) - p["span"]) <= 1,
          str(search))

    # A double-click zooms out around the point.
    load_view(tools, base, view)
    p = plot(tools, base)
    x = p["left"] + 0.5 * p["width"]
    t = time_at(p, x)
    tools.call("Input.dispatchMouseEvent", type="mousePressed", x=x, y=p["y"], button="left", buttons=1, clickCount=1)
    tools.call("Input.dispatchMouseEvent", type="mouseReleased", x=x, y=p["y"], button="left", buttons=0, clickCount=1)
    tools.call("Input.dispatchMouseEvent", type="mousePressed", x=x, y=p["y"], button="left", buttons=1, clickCount=2)
    tools.call("Input.dispatchMouseEvent", type="mouseReleased", x=x, y=p["y"], button="left", buttons=0, clickCount=2)
    query = settled_view(tools, p["src"])
    range_matches("a double-click zooms out around the point", query, t - p["span"], t + p["span"], p)

    # Touch: one finger swiping left by a fifth of the plot moves the view a fifth later;
    # two fingers spreading from 100 to 200 pixels halve the span around their middle.
    # (The swipe goes first: after an emulated two-finger gesture, this Chromium
    # delivers no further touch input to the page, even after a navigation.)
    tools.call("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=5)
    load_view(tools, base, view)
    p = plot(tools, base)
    x0 = p["left"] + 0.7 * p["width"]
    dx = 0.2 * p["width"]
    tools.touch("touchStart", [(x0, p["y"])])
    for step in range(1, 6):
        tools.touch("touchMove", [(x0 - dx * step / 5, p["y"])])
    tools.touch("touchEnd", [])
    query = settled_view(tools, p["src"])
    range_matches("a one-finger swipe pans", query, p["start"] + 0.2 * p["span"], p["end"] + 0.2 * p["span"], p, slack_pixels=3)
    load_view(tools, base, view)
    p = plot(tools, base)
    middle_x = p["left"] + 0.5 * p["width"]
    t = time_at(p, middle_x)
    tools.touch("touchStart", [(middle_x - 50, p["y"]), (middle_x + 50, p["y"])])
    for step in range(1, 6):
        tools.touch("touchMove", [(middle_x - 50 - 10 * step, p["y"]), (middle_x + 50 + 10 * step, p["y"])])
    tools.touch("touchEnd", [])
    query = settled_view(tools, p["src"])
    range_matches("a pinch zooms around the fingers' middle", query, t - p["span"] / 4, t + p["span"] / 4, p, slack_pixels=3)
    tools.call("Emulation.setTouchEmulationEnabled", enabled=False)

    # The alert period from the watchdog's history is listed; a click zooms to it.
    load_view(tools, base, "?start=-7d&end=now")
    listed = wait_for(lambda: tools.evaluate("(() => { const b = document.querySelector('#periods button'); return b ? b.innerText : null; })()"))
    check("an alert period of the view is listed under the graph", listed is not None and "RateStale" in listed, str(listed))
    src = image_loaded(tools)
    check("the graph asks for the alert shading", src is not None and "annotations=off" not in src)
    if listed:
        period = plot(tools, base)["meta"]["annotations"][0]
        tools.evaluate("document.querySelector('#periods button').click()")
        query = settled_view(tools, src)
        margin = max(900, round((period["end"] - period["start"]) * 0.25))
        if query:
            check("clicking a period zooms to it", abs(int(query.get("start", 0)) - (period["start"] - margin)) <= 60
                  and abs(int(query.get("end", 0)) - (period["end"] + margin)) <= 60, str(query))
        else:
            check("clicking a period zooms to it", False, "no new view")


def looks(tools, base, empty_base):
    """Time zone, theme, pixel ratio, the empty state and accessible names; the screenshots."""
    load_view(tools, base, "?start=-1d&end=now")
    zone = tools.evaluate("document.getElementById('tz').value")
    check("the page defaults to the browser's time zone (Asia/Tokyo)", zone == "Asia/Tokyo", str(zone))
    label = tools.evaluate("document.getElementById('range-label').innerText") or ""
    check("the range label is in that zone", label.endswith("Asia/Tokyo (live)"), label)
    src = image_loaded(tools) or ""
    check("the image is drawn in that zone", "tz=Asia/Tokyo" in src, src)
    utc_offered = tools.evaluate("[...document.getElementById('tz').options].some(o => o.value === 'UTC')")
    check("UTC is offered", utc_offered is True)
    unnamed = tools.evaluate("""[...document.querySelectorAll('button, select, input')].filter(e => e.offsetParent !== null
        && !(e.getAttribute('aria-label') || e.innerText.trim() || (e.closest('label') && e.closest('label').innerText.trim()))).length""")
    check("every control has a name", unnamed == 0, f"{unnamed} without")
    check("no render is pending once the image is shown",
          tools.evaluate("!document.getElementById('frame').classList.contains('loading')") is True)

    for theme in ("light", "dark"):
        tools.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": theme}])
        for device, width, height, mobile in (("desktop", 1200, 800, False), ("phone", 390, 844, True)):
            for dpr in (1, 2):
                tools.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=dpr, mobile=mobile)
                load_view(tools, base, "?start=-7d&end=now")
                src = wait_for(lambda: (lambda s: s if s and f"dpr={dpr}" in s and f"theme={theme}" in s else None)(image_loaded(tools)))
                name = f"{theme} {device} dpr {dpr}"
                check(f"{name}: the page and the image follow the theme",
                      src is not None and tools.evaluate("document.documentElement.dataset.theme") == theme, str(src))
                natural = tools.evaluate("(() => { const i = document.getElementById('graph'); return [i.naturalWidth, i.clientWidth]; })()")
                check(f"{name}: the image has {dpr} pixels per CSS pixel", natural is not None and natural[0] == dpr * natural[1], str(natural))
                tools.screenshot(f"page-{theme}-{device}-dpr{dpr}.png")
    tools.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "light"}])
    tools.call("Emulation.setDeviceMetricsOverride", width=1200, height=800, deviceScaleFactor=1, mobile=False)
    load_view(tools, base, "?start=-1d&end=now")
    before = image_loaded(tools)
    tools.evaluate("document.getElementById('theme').click()")
    toggled = wait_for(lambda: (lambda s: s if s and s != before and "theme=dark" in s else None)(image_loaded(tools)))
    check("the toggle switches page and image to dark",
          toggled is not None and tools.evaluate("document.documentElement.dataset.theme") == "dark")
    tools.evaluate("document.getElementById('theme').click()")
    wait_for(lambda: (lambda s: s if s and "theme=light" in s else None)(image_loaded(tools)))

    tools.call("Page.navigate", url=empty_base + "/")
    empty = wait_for(lambda: tools.evaluate("(() => { const e = document.getElementById('empty'); return e.hidden ? null : e.innerText; })()"))
    check("a pair with no sample shows when the first is due", empty is not None and "first is due" in empty, str(empty))
    tools.screenshot("page-empty.png")


def _get(url):
    try:
        return urllib.request.urlopen(url, timeout=2).status
    except Exception:
        return None


if __name__ == "__main__":
    main()
