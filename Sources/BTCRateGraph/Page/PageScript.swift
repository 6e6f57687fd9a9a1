/// `/static/app.js`: zoom, pan, presets, hover readout and auto-refresh.
///
/// Pixels map to time only through the geometry librrd reported for the image
/// on screen (`/graph.json`), scaled by the image's displayed size, never
/// through hard-coded offsets. The URL always reproduces the view.
enum PageScript {
    static let app = #"""
    "use strict";
    (function () {
      const $ = (id) => document.getElementById(id);
      const img = $("graph"), frame = $("frame"), selection = $("selection"), cursor = $("cursor"), readout = $("readout");
      const PRESETS = { "6h": "-6h", "1d": "-1d", "7d": "-7d", "30d": "-30d", "1y": "-1y", "5y": "-5y", "all": "first" };
      const REFRESH_MS = 30000;
      const query = new URLSearchParams(location.search);
      const view = {
        pair: query.get("pair") || "",
        start: query.get("start") || "-1d",
        end: query.get("end") || "now",
        style: query.get("style") || "auto",
      };
      let meta = null, series = null, loading = 0, drag = null;

      const isLive = () => view.end === "now";
      const fmtTime = (t) => new Date(t * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";
      const fmtRate = (v) => v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      function fmtAge(seconds) {
        if (seconds < 90) return seconds + " s ago";
        if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
        if (seconds < 172800) return Math.round(seconds / 3600) + " h ago";
        return Math.round(seconds / 86400) + " days ago";
      }

      function size() {
        const width = Math.max(200, Math.min(3000, Math.round(frame.clientWidth * (window.devicePixelRatio > 1 ? 1.5 : 1))));
        const height = Math.max(160, Math.min(900, Math.round(width * (window.innerWidth < 600 ? 0.6 : 0.38))));
        return { width, height };
      }

      function params(extra) {
        const p = new URLSearchParams();
        if (view.pair) p.set("pair", view.pair);
        p.set("start", view.start); p.set("end", view.end); p.set("style", view.style);
        for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
        return p;
      }

      function setStatus(text, isError) {
        $("status").textContent = text || "";
        $("status").className = isError ? "error" : "";
      }

      // A 503 with Retry-After is a full render queue: wait as told and ask again, a few times.
      async function fetchJSON(url, attempt = 0) {
        const response = await fetch(url, { cache: "no-cache" });
        const body = await response.json().catch(() => ({}));
        const retryAfter = Number(response.headers.get("Retry-After"));
        if (response.status === 503 && retryAfter > 0 && attempt < 3) {
          setStatus("The server is busy; trying again in " + retryAfter + " s…");
          await new Promise((done) => setTimeout(done, Math.min(retryAfter, 10) * 1000));
          return fetchJSON(url, attempt + 1);
        }
        if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
        return body;
      }

      async function load() {
        const ticket = ++loading;
        const { width, height } = size();
        try {
          const next = await fetchJSON("/graph.json?" + params({ width, height }));
          if (ticket !== loading) return;
          meta = next;
          if (!view.pair) view.pair = meta.pair;
          img.src = meta.image;   // the exact image this geometry describes
          history.replaceState(null, "", "?" + params());
          $("csv").href = "/data.csv?" + params();
          renderSummary();
          renderControls();
          $("range-label").textContent = fmtTime(meta.graph_start) + " – " + fmtTime(meta.graph_end) + (isLive() ? " (live)" : "");
          setStatus("");
          const points = Math.max(10, Math.min(10000, meta.graph_width));
          fetchJSON("/data.json?" + params({ points })).then((data) => { if (ticket === loading) series = data; }).catch(() => { series = null; });
        } catch (error) {
          setStatus("Could not load the graph: " + error.message, true);
        }
      }

      function renderSummary() {
        const latest = meta.latest;
        $("pair-name").textContent = meta.pair;
        if (!latest) { $("latest").textContent = "no data yet"; return; }
        $("latest").textContent = fmtRate(latest.value) + " " + meta.pair.split("-")[1];
        const change = $("change");
        if (latest.change_24h === undefined || latest.change_24h === null) { change.textContent = ""; }
        else {
          const pct = latest.change_24h * 100;
          change.textContent = (pct >= 0 ? "+" : "") + pct.toFixed(2) + " % in 24 h";
          change.className = "change " + (pct >= 0 ? "up" : "down");
        }
        $("age").textContent = "newest sample: slot " + fmtTime(latest.time) + ", " + fmtAge(latest.age_seconds);
        $("age").className = latest.age_seconds > meta.stale_after ? "stale" : "";
        $("source").textContent = latest.source ? "source: " + latest.source : "";
      }

      function renderControls() {
        const pairSelect = $("pair");
        if (pairSelect.options.length !== meta.pairs.length) {
          pairSelect.innerHTML = "";
          for (const name of meta.pairs) pairSelect.add(new Option(name, name));
        }
        pairSelect.value = meta.pair;
        pairSelect.hidden = meta.pairs.length < 2;
        $("style").value = view.style;
        for (const button of document.querySelectorAll("#presets button")) {
          button.classList.toggle("active", isLive() && PRESETS[button.dataset.range] === view.start);
        }
        $("forward").disabled = isLive();
      }

      // Pixel (in displayed CSS pixels) -> time, through librrd's geometry.
      function timeAt(clientX) {
        const box = img.getBoundingClientRect();
        const scale = meta.image_width / box.width;
        const x = (clientX - box.left) * scale;
        const clamped = Math.max(meta.graph_left, Math.min(meta.graph_left + meta.graph_width, x));
        return meta.graph_start + (clamped - meta.graph_left) * (meta.graph_end - meta.graph_start) / meta.graph_width;
      }
      function plotEdges() {
        const box = img.getBoundingClientRect();
        const scale = box.width / meta.image_width;
        return { left: meta.graph_left * scale, right: (meta.graph_left + meta.graph_width) * scale,
                 top: meta.graph_top * scale, bottom: (meta.graph_top + meta.graph_height) * scale, box };
      }

      function span() { return meta ? meta.graph_end - meta.graph_start : 86400; }

      img.addEventListener("pointerdown", (event) => {
        if (!meta || event.button !== 0) return;
        drag = { x: event.clientX, pointer: event.pointerId };
        img.setPointerCapture(event.pointerId);
        event.preventDefault();
      });
      img.addEventListener("pointermove", (event) => {
        if (!meta) return;
        const edges = plotEdges();
        const x = Math.max(edges.left, Math.min(edges.right, event.clientX - edges.box.left));
        if (drag) {
          const from = Math.max(edges.left, Math.min(edges.right, drag.x - edges.box.left));
          selection.hidden = false;
          selection.style.left = Math.min(from, x) + "px";
          selection.style.width = Math.abs(x - from) + "px";
          selection.style.top = edges.top + "px";
          selection.style.height = (edges.bottom - edges.top) + "px";
        }
        showReadout(event.clientX, x, edges);
      });
      img.addEventListener("pointerup", (event) => {
        if (!drag) return;
        const from = drag.x, to = event.clientX;
        drag = null;
        selection.hidden = true;
        if (Math.abs(to - from) < 5) return;
        const t1 = timeAt(Math.min(from, to)), t2 = timeAt(Math.max(from, to));
        if (t2 - t1 < 1800) { setStatus("That range is shorter than 30 minutes; zoom less.", true); return; }
        view.start = String(Math.floor(t1));
        view.end = String(Math.ceil(t2));
        load();
      });
      img.addEventListener("pointerleave", () => { cursor.hidden = true; readout.hidden = true; });

      function showReadout(clientX, x, edges) {
        const t = timeAt(clientX);
        cursor.hidden = false;
        cursor.style.left = x + "px";
        cursor.style.top = edges.top + "px";
        cursor.style.height = (edges.bottom - edges.top) + "px";
        let text = fmtTime(t);
        if (series && series.points.length) {
          let best = null;
          for (const point of series.points) {
            if (point.rate === null) continue;
            if (!best || Math.abs(point.time - t) < Math.abs(best.time - t)) best = point;
          }
          if (best && Math.abs(best.time - t) <= 2 * series.step) text = fmtTime(best.time) + "  " + fmtRate(best.rate);
          else text += "  no data";
        }
        readout.textContent = text;
        readout.hidden = false;
        const right = x > (edges.left + edges.right) / 2;
        readout.style.left = right ? "" : (x + 8) + "px";
        readout.style.right = right ? (edges.box.width - x + 8) + "px" : "";
      }

      for (const button of document.querySelectorAll("#presets button")) {
        button.addEventListener("click", () => { view.start = PRESETS[button.dataset.range]; view.end = "now"; load(); });
      }
      $("back").addEventListener("click", () => {
        if (!meta) return;
        const width = span(), shift = Math.round(width / 2);
        view.start = String(meta.graph_start - shift); view.end = String(meta.graph_end - shift); load();
      });
      $("forward").addEventListener("click", () => {
        if (!meta || isLive()) return;
        const width = span(), shift = Math.round(width / 2), now = Math.floor(Date.now() / 1000);
        if (meta.graph_end + shift >= now) { view.start = "-" + width + "s"; view.end = "now"; }
        else { view.start = String(meta.graph_start + shift); view.end = String(meta.graph_end + shift); }
        load();
      });
      $("now").addEventListener("click", () => { view.start = "-" + span() + "s"; view.end = "now"; load(); });
      $("style").addEventListener("change", (event) => { view.style = event.target.value; load(); });
      $("pair").addEventListener("change", (event) => { view.pair = event.target.value; load(); });

      // The watchdog's firing alerts, as a banner above the graph.
      async function loadAlerts() {
        try {
          const body = await fetchJSON("/alerts.json");
          const list = $("alerts");
          list.innerHTML = "";
          for (const alert of body.alerts.filter((a) => a.state === "firing")) {
            const item = document.createElement("li");
            item.className = alert.severity;
            const name = document.createElement("b");
            name.textContent = alert.alert + (alert.pair ? " " + alert.pair : "");
            item.append(name, document.createTextNode(alert.summary + " (since " + fmtTime(alert.since) + ")"));
            list.append(item);
          }
          list.hidden = list.children.length === 0;
        } catch (error) { /* the banner is optional; the graph still works */ }
      }

      let resizeTimer = null;
      window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(load, 250); });

      // Auto-refresh: only a live view (ending "now") follows new samples; a range
      // that ends in the past is never refreshed, and the user's zoom is kept.
      setInterval(loadAlerts, REFRESH_MS);
      setInterval(async () => {
        if (!meta || !isLive() || document.hidden || drag) return;
        try {
          const { width, height } = size();
          const next = await fetchJSON("/graph.json?" + params({ width, height }));
          const before = meta.latest ? meta.latest.time : null, after = next.latest ? next.latest.time : null;
          if (after !== before) load(); else { meta.latest = next.latest; renderSummary(); }
        } catch (error) { setStatus("Refresh failed: " + error.message, true); }
      }, REFRESH_MS);

      load();
      loadAlerts();
    })();
    """#
}
