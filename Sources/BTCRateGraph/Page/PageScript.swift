/// `/static/app.js`: zoom (drag, wheel, pinch, keys), pan, presets, themes,
/// time zones, the hover and keyboard readout, alert periods and auto-refresh.
///
/// Pixels map to time only through the geometry librrd reported for the image
/// on screen (`/graph.json`), scaled by the image's displayed size, never
/// through hard-coded offsets. Geometry is in CSS pixels whatever the `dpr`.
/// The URL always reproduces the view. Gestures change the range at once and
/// render once they pause, so a wheel spin costs one render.
enum PageScript {
    static let app = #"""
    "use strict";
    (function () {
      const $ = (id) => document.getElementById(id);
      const img = $("graph"), frame = $("frame"), selection = $("selection"), cursor = $("cursor"), readout = $("readout");
      const PRESETS = { "6h": "-6h", "1d": "-1d", "7d": "-7d", "30d": "-30d", "1y": "-1y", "5y": "-5y", "all": "first" };
      const REFRESH_MS = 30000, SETTLE_MS = 300, MIN_SPAN = 1800, MAX_SPAN = 101 * 366 * 86400, MAX_PAIRS = 4;
      const query = new URLSearchParams(location.search);
      const browserZone = (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; } })();
      const view = {
        pair: query.get("pair") || "",
        start: query.get("start") || "-1d",
        end: query.get("end") || "now",
        style: query.get("style") || "auto",
        mode: query.get("mode") || "rate",
        scale: query.get("scale") || "linear",
        tz: query.get("tz") || browserZone,
        annotations: query.get("annotations") !== "off",
      };
      const stored = (() => { try { return localStorage.getItem("btcrate-theme"); } catch (e) { return null; } })();
      const darkQuery = window.matchMedia ? matchMedia("(prefers-color-scheme: dark)") : null;
      let theme = stored || (darkQuery && darkQuery.matches ? "dark" : "light");
      let meta = null, series = null, loading = 0, drag = null, pending = null, settleTimer = null, point = -1;

      const isLive = () => view.end === "now";
      const now = () => Math.floor(Date.now() / 1000);
      const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

      // Times in the view's zone, as the graph's axis draws them.
      let zoneFormat = null;
      function formatter() {
        if (!zoneFormat || zoneFormat.zone !== view.tz) {
          const options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
          let format;
          try { format = new Intl.DateTimeFormat("en-CA", Object.assign({ timeZone: view.tz }, options)); }
          catch (e) { format = new Intl.DateTimeFormat("en-CA", Object.assign({ timeZone: "UTC" }, options)); }
          zoneFormat = { zone: view.tz, format };
        }
        return zoneFormat.format;
      }
      function fmtTime(t) {
        const p = {};
        for (const part of formatter().formatToParts(new Date(t * 1000))) p[part.type] = part.value;
        return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute;
      }
      const fmtRate = (v) => v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      function fmtAge(seconds) {
        if (seconds < 90) return seconds + " s ago";
        if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
        if (seconds < 172800) return Math.round(seconds / 3600) + " h ago";
        return Math.round(seconds / 86400) + " days ago";
      }

      function size() {
        const width = clamp(Math.round(frame.clientWidth), 200, 3000);
        const height = clamp(Math.round(width * (window.innerWidth < 600 ? 0.75 : 0.38)), 160, 900);
        const dpr = clamp(Math.round(window.devicePixelRatio || 1), 1, 3);
        return { width, height, dpr: width * dpr > 6000 || height * dpr > 3000 ? 1 : dpr };
      }

      // The view's parameters: what the page URL keeps (the image adds size, dpr and theme).
      function params(extra) {
        const p = new URLSearchParams();
        if (view.pair) p.set("pair", view.pair);
        p.set("start", view.start); p.set("end", view.end); p.set("style", view.style);
        if (view.mode !== "rate") p.set("mode", view.mode);
        if (view.scale !== "linear") p.set("scale", view.scale);
        p.set("tz", view.tz);
        if (!view.annotations) p.set("annotations", "off");
        for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
        return p;
      }

      function setStatus(text, isError) {
        $("status").textContent = text || "";
        $("status").className = isError ? "error" : "";
      }
      const sentence = (text) => { const t = String(text || "unknown error"); return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : "."); };

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
        if (!response.ok) {
          const error = new Error(body.error || ("the server answered HTTP " + response.status));
          error.status = response.status;
          error.nextSampleDue = body.next_sample_due;
          throw error;
        }
        return body;
      }

      function busy(on) {
        frame.classList.toggle("loading", on);
        if (on) frame.setAttribute("aria-busy", "true"); else frame.removeAttribute("aria-busy");
      }
      img.addEventListener("load", () => busy(false));
      img.addEventListener("error", () => { busy(false); setStatus("The image could not be loaded; it will be tried again.", true); });

      async function load() {
        const ticket = ++loading;
        const { width, height, dpr } = size();
        busy(true);
        try {
          const next = await fetchJSON("/graph.json?" + params({ width, height, dpr, theme }));
          if (ticket !== loading) return;
          meta = next;
          pending = null;
          point = -1;
          if (!view.pair) view.pair = meta.compare.join(",");
          $("empty").hidden = true;
          img.hidden = false;
          img.src = meta.image;   // the exact image this geometry describes
          history.replaceState(null, "", "?" + params());
          $("csv").href = "/data.csv?" + params({ pair: meta.pair });
          renderSummary();
          renderControls();
          renderPeriods();
          $("range-label").textContent = fmtTime(meta.graph_start) + " – " + fmtTime(meta.graph_end) + " " + meta.time_zone + (isLive() ? " (live)" : "");
          setStatus("");
          const points = clamp(meta.graph_width, 10, 10000);
          series = null;
          fetchJSON("/data.json?" + params({ pair: meta.pair, points })).then((data) => { if (ticket === loading) series = data; }).catch(() => { series = null; });
        } catch (error) {
          if (ticket !== loading) return;
          busy(false);
          if (error.status === 400 && view.tz !== "UTC" && /\btz\b/.test(error.message)) {
            setStatus("This server does not know the time zone " + view.tz + "; times are in UTC.", true);
            view.tz = "UTC";
            return load();
          }
          if (error.status === 404 && error.nextSampleDue) return showEmpty(error.nextSampleDue);
          setStatus("Could not load the graph. " + sentence(error.message), true);
        }
      }

      // No sample yet: say when the first is due instead of showing a blank frame.
      function showEmpty(due) {
        meta = null;
        img.hidden = true;
        const minutes = Math.max(1, Math.round((due - now()) / 60));
        $("empty").textContent = "No samples yet. The first is due at " + fmtTime(due).slice(11) + " " + view.tz + ", in about " + minutes + " min; this page will show it.";
        $("empty").hidden = false;
      }

      function renderSummary() {
        const latest = meta.latest;
        $("pair-name").textContent = meta.compare.join(" · ");
        if (!latest) { $("latest").textContent = "no data yet"; return; }
        $("latest").textContent = fmtRate(latest.value) + " " + meta.pair.split("-")[1];
        const change = $("change");
        if (latest.change_24h === undefined || latest.change_24h === null) { change.textContent = ""; }
        else {
          const pct = latest.change_24h * 100;
          change.textContent = (pct >= 0 ? "+" : "") + pct.toFixed(2) + " % in 24 h";
          change.className = "change " + (pct >= 0 ? "up" : "down");
        }
        $("day-range").textContent = latest.high_24h != null && latest.low_24h != null
          ? "24 h high " + fmtRate(latest.high_24h) + ", low " + fmtRate(latest.low_24h) : "";
        $("age").textContent = "newest sample: " + fmtTime(latest.time) + ", " + fmtAge(latest.age_seconds);
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
        pairSelect.parentElement.hidden = meta.pairs.length < 2;
        $("style").value = view.style;
        $("mode").value = view.mode;
        $("scale").value = view.scale;
        $("scale").disabled = view.mode === "change";
        const zones = $("tz");
        zones.innerHTML = "";
        for (const zone of [...new Set([browserZone, "UTC", view.tz])]) {
          zones.add(new Option(zone + (zone === browserZone && zone !== "UTC" ? " (this browser)" : ""), zone));
        }
        zones.value = view.tz;
        const compare = $("compare");
        compare.hidden = view.mode !== "change" || meta.pairs.length < 2;
        compare.innerHTML = "";
        for (const name of meta.pairs.filter((p) => p !== meta.pair)) {
          const box = document.createElement("input");
          box.type = "checkbox"; box.value = name; box.checked = meta.compare.includes(name);
          box.disabled = !box.checked && meta.compare.length >= MAX_PAIRS;
          box.addEventListener("change", () => {
            const chosen = [meta.pair, ...[...compare.querySelectorAll("input:checked")].map((b) => b.value)];
            view.pair = chosen.slice(0, MAX_PAIRS).join(","); load();
          });
          const label = document.createElement("label");
          label.append(box, document.createTextNode(" vs " + name));
          compare.append(label);
        }
        for (const button of document.querySelectorAll("#presets button")) {
          button.classList.toggle("active", isLive() && PRESETS[button.dataset.range] === view.start);
        }
        $("forward").disabled = isLive();
        $("theme").textContent = theme === "dark" ? "Light" : "Dark";
        $("theme").setAttribute("aria-label", "Switch to the " + (theme === "dark" ? "light" : "dark") + " theme");
        $("annotations").checked = view.annotations;
      }

      // The alert periods of this view, under the graph; a click zooms to one.
      function renderPeriods() {
        const list = $("periods");
        list.innerHTML = "";
        for (const period of meta.annotations || []) {
          const button = document.createElement("button");
          button.className = period.severity;
          button.textContent = period.alert + " " + (period.pair || "") + " · " + period.severity + " · " + fmtTime(period.start)
            + " – " + (period.end ? fmtTime(period.end) : "still firing") + " · " + period.summary;
          button.addEventListener("click", () => {
            const end = period.end || now(), margin = Math.max(900, Math.round((end - period.start) * 0.25));
            setRange(period.start - margin, end + margin);
            load();
          });
          const item = document.createElement("li");
          item.append(button);
          list.append(item);
        }
        $("history").hidden = !(meta.annotations && meta.annotations.length) && view.annotations;
      }

      // Pixel (in displayed CSS pixels) -> time, through librrd's geometry.
      function timeAt(clientX) {
        const box = img.getBoundingClientRect();
        const x = (clientX - box.left) * meta.image_width / box.width;
        const clamped = clamp(x, meta.graph_left, meta.graph_left + meta.graph_width);
        return meta.graph_start + (clamped - meta.graph_left) * (meta.graph_end - meta.graph_start) / meta.graph_width;
      }
      function plotEdges() {
        const box = img.getBoundingClientRect();
        const scale = box.width / meta.image_width;
        return { left: meta.graph_left * scale, right: (meta.graph_left + meta.graph_width) * scale,
                 top: meta.graph_top * scale, bottom: (meta.graph_top + meta.graph_height) * scale, box, scale };
      }

      // The range a gesture works on: the one waiting to be shown, else the one on screen.
      const shown = () => pending || { start: meta.graph_start, end: meta.graph_end };

      // An absolute range into the view; one that reaches now becomes live again.
      function setRange(start, end) {
        let span = clamp(Math.round(end - start), MIN_SPAN, MAX_SPAN);
        let to = Math.round(end);
        if (span !== Math.round(end - start)) to = Math.round((start + end) / 2 + span / 2);
        if (to >= now() - 60) { view.start = "-" + span + "s"; view.end = "now"; return; }
        view.start = String(to - span); view.end = String(to);
      }

      // Wheel, pinch, pan and keys change the range at once but render only when
      // the gesture has paused: a wheel spin is one render, not twenty.
      function settle(start, end) {
        const span = clamp(end - start, MIN_SPAN, MAX_SPAN), middle = (start + end) / 2;
        if (span !== end - start) { start = middle - span / 2; end = middle + span / 2; }
        if (end > now()) { start -= end - now(); end = now(); }
        pending = { start, end };
        $("range-label").textContent = fmtTime(start) + " – " + fmtTime(end) + " " + view.tz;
        clearTimeout(settleTimer);
        settleTimer = setTimeout(() => { const r = pending; setRange(r.start, r.end); load(); }, SETTLE_MS);
      }
      // Zoom by `factor` (below 1: in) keeping time `t` where it is.
      function zoom(factor, t) {
        const r = shown(), span = r.end - r.start;
        const at = t === undefined ? (r.start + r.end) / 2 : t;
        const fraction = (at - r.start) / span;
        settle(at - fraction * span * factor, at + (1 - fraction) * span * factor);
      }
      function pan(seconds) { const r = shown(); settle(r.start + seconds, r.end + seconds); }

      img.addEventListener("wheel", (event) => {
        if (!meta) return;
        event.preventDefault();
        const delta = event.deltaMode === 1 ? event.deltaY * 40 : event.deltaY;
        zoom(Math.exp(clamp(delta, -500, 500) * 0.002), timeAt(event.clientX));
      }, { passive: false });

      img.addEventListener("dblclick", (event) => { if (meta) zoom(2, timeAt(event.clientX)); });

      // Touch: one finger pans, two pinch; a double tap zooms out.
      const touches = new Map();
      let gesture = null, lastTap = null;
      function touchGesture() {
        const points = [...touches.values()], r = shown(), edges = plotEdges();
        const secondsPerPixel = (r.end - r.start) / (meta.graph_width * edges.scale);
        if (points.length === 1) return { kind: "pan", x: points[0].x, r, secondsPerPixel };
        const [a, b] = points;
        return { kind: "pinch", distance: Math.max(10, Math.abs(a.x - b.x)), t: timeAt((a.x + b.x) / 2), r };
      }
      img.addEventListener("pointerdown", (event) => {
        if (!meta) return;
        if (event.pointerType === "touch") {
          touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
          img.setPointerCapture(event.pointerId);
          gesture = touches.size <= 2 ? touchGesture() : null;
          return;
        }
        if (event.button !== 0) return;
        drag = { x: event.clientX, pointer: event.pointerId };
        img.setPointerCapture(event.pointerId);
        event.preventDefault();
      });
      img.addEventListener("pointermove", (event) => {
        if (!meta) return;
        if (event.pointerType === "touch") {
          if (!touches.has(event.pointerId) || !gesture) return;
          touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
          const points = [...touches.values()];
          if (gesture.kind === "pan" && points.length === 1) {
            const shift = (gesture.x - points[0].x) * gesture.secondsPerPixel;
            if (Math.abs(gesture.x - points[0].x) > 8) settle(gesture.r.start + shift, gesture.r.end + shift);
          } else if (gesture.kind === "pinch" && points.length === 2) {
            const factor = gesture.distance / Math.max(10, Math.abs(points[0].x - points[1].x));
            const span = gesture.r.end - gesture.r.start, fraction = (gesture.t - gesture.r.start) / span;
            settle(gesture.t - fraction * span * factor, gesture.t + (1 - fraction) * span * factor);
          }
          return;
        }
        const edges = plotEdges();
        const x = clamp(event.clientX - edges.box.left, edges.left, edges.right);
        if (drag) {
          const from = clamp(drag.x - edges.box.left, edges.left, edges.right);
          selection.hidden = false;
          selection.style.left = Math.min(from, x) + "px";
          selection.style.width = Math.abs(x - from) + "px";
          selection.style.top = edges.top + "px";
          selection.style.height = (edges.bottom - edges.top) + "px";
        }
        showReadout(timeAt(event.clientX), x, edges);
      });
      function touchEnd(event) {
        if (!touches.has(event.pointerId)) return;
        const start = touches.get(event.pointerId);
        touches.delete(event.pointerId);
        gesture = touches.size ? touchGesture() : null;
        if (event.type !== "pointerup" || touches.size) return;
        const tap = { at: Date.now(), x: event.clientX };
        if (Math.abs(start.x - event.clientX) < 10 && lastTap && tap.at - lastTap.at < 350 && Math.abs(tap.x - lastTap.x) < 30) {
          lastTap = null;
          zoom(2, timeAt(event.clientX));
        } else {
          lastTap = tap;
        }
      }
      img.addEventListener("pointerup", (event) => {
        if (event.pointerType === "touch") return touchEnd(event);
        if (!drag) return;
        const from = drag.x, to = event.clientX;
        drag = null;
        selection.hidden = true;
        if (Math.abs(to - from) < 5) return;
        const t1 = timeAt(Math.min(from, to)), t2 = timeAt(Math.max(from, to));
        if (t2 - t1 < MIN_SPAN) { setStatus("That range is shorter than 30 minutes; zoom less.", true); return; }
        view.start = String(Math.floor(t1));
        view.end = String(Math.ceil(t2));
        load();
      });
      img.addEventListener("pointercancel", (event) => { touchEnd(event); drag = null; selection.hidden = true; });
      img.addEventListener("pointerleave", () => { if (document.activeElement !== frame) { cursor.hidden = true; readout.hidden = true; } });

      function showReadout(t, x, edges) {
        cursor.hidden = false;
        cursor.style.left = x + "px";
        cursor.style.top = edges.top + "px";
        cursor.style.height = (edges.bottom - edges.top) + "px";
        let text = fmtTime(t);
        if (series && series.points.length) {
          let best = null;
          for (const p of series.points) {
            if (p.rate === null) continue;
            if (!best || Math.abs(p.time - t) < Math.abs(best.time - t)) best = p;
          }
          if (best && Math.abs(best.time - t) <= 2 * series.step) text = fmtTime(best.time) + "  " + meta.pair + " " + fmtRate(best.rate);
          else text += "  no data";
        }
        readout.textContent = text;
        readout.hidden = false;
        const right = x > (edges.left + edges.right) / 2;
        readout.style.left = right ? "" : (x + 8) + "px";
        readout.style.right = right ? (edges.box.width - x + 8) + "px" : "";
      }

      // The keyboard's readout: Shift+← → step through the points.
      function readPoint(step) {
        if (!meta || !series) return;
        const known = series.points.filter((p) => p.rate !== null);
        if (!known.length) return;
        point = clamp(point < 0 ? known.length - 1 : point + step, 0, known.length - 1);
        const t = known[point].time, edges = plotEdges();
        const x = (meta.graph_left + (t - meta.graph_start) * meta.graph_width / (meta.graph_end - meta.graph_start)) * edges.scale;
        showReadout(t, clamp(x, edges.left, edges.right), edges);
      }
      frame.addEventListener("focus", () => readPoint(0));
      frame.addEventListener("blur", () => { cursor.hidden = true; readout.hidden = true; });
      frame.addEventListener("keydown", (event) => {
        if (!meta || event.altKey || event.ctrlKey || event.metaKey) return;
        const span = shown().end - shown().start;
        const actions = {
          ArrowLeft: () => (event.shiftKey ? readPoint(-1) : pan(-span / 4)),
          ArrowRight: () => (event.shiftKey ? readPoint(1) : pan(span / 4)),
          "+": () => zoom(0.5), "=": () => zoom(0.5), "-": () => zoom(2), "_": () => zoom(2),
          Home: () => { clearTimeout(settleTimer); pending = null; view.start = "-" + Math.round(span) + "s"; view.end = "now"; load(); },
        };
        const action = actions[event.key];
        if (action) { event.preventDefault(); action(); }
      });

      for (const button of document.querySelectorAll("#presets button")) {
        button.addEventListener("click", () => { view.start = PRESETS[button.dataset.range]; view.end = "now"; load(); });
      }
      $("back").addEventListener("click", () => { if (meta) pan(-(shown().end - shown().start) / 2); });
      $("forward").addEventListener("click", () => { if (meta && !isLive()) pan((shown().end - shown().start) / 2); });
      $("zoom-in").addEventListener("click", () => { if (meta) zoom(0.5); });
      $("zoom-out").addEventListener("click", () => { if (meta) zoom(2); });
      $("now").addEventListener("click", () => { const r = meta ? shown() : { start: 0, end: 86400 }; view.start = "-" + Math.round(r.end - r.start) + "s"; view.end = "now"; load(); });
      $("style").addEventListener("change", (event) => { view.style = event.target.value; load(); });
      $("scale").addEventListener("change", (event) => { view.scale = event.target.value; load(); });
      $("mode").addEventListener("change", (event) => {
        view.mode = event.target.value;
        if (view.mode === "change") view.scale = "linear"; else view.pair = view.pair.split(",")[0];
        load();
      });
      $("tz").addEventListener("change", (event) => { view.tz = event.target.value; load(); });
      $("pair").addEventListener("change", (event) => { view.pair = event.target.value; load(); });
      $("annotations").addEventListener("change", (event) => { view.annotations = event.target.checked; load(); });

      function applyTheme(next, remember) {
        theme = next;
        document.documentElement.dataset.theme = theme;
        if (remember) { try { localStorage.setItem("btcrate-theme", theme); } catch (e) { /* private mode */ } }
      }
      $("theme").addEventListener("click", () => { applyTheme(theme === "dark" ? "light" : "dark", true); load(); });
      if (darkQuery && darkQuery.addEventListener) {
        darkQuery.addEventListener("change", (event) => { if (!stored) { applyTheme(event.matches ? "dark" : "light", false); load(); } });
      }

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
            item.append(name, document.createTextNode(alert.summary + " (since " + fmtTime(alert.since) + " " + view.tz + ")"));
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
        if (document.hidden || drag || pending || touches.size) return;
        if (!meta) { if (!$("empty").hidden) load(); return; }
        if (!isLive()) return;
        try {
          const { width, height, dpr } = size();
          const next = await fetchJSON("/graph.json?" + params({ width, height, dpr, theme }));
          const before = meta.latest ? meta.latest.time : null, after = next.latest ? next.latest.time : null;
          if (after !== before) load(); else { meta.latest = next.latest; renderSummary(); }
        } catch (error) { setStatus("Refresh failed. " + sentence(error.message), true); }
      }, REFRESH_MS);

      applyTheme(theme, false);
      load();
      loadAlerts();
    })();
    """#
}
