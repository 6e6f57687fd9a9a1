/// The page at `/`. No inline script or style (the Content-Security-Policy
/// forbids both), no CDN, no external font: everything comes from btcrate.
enum PageHTML {
    static let index = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>btcrate</title>
    <link rel="icon" href="/static/icon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="/static/style.css">
    <script src="/static/app.js" defer></script>
    </head>
    <body>
    <header>
      <h1><span id="pair-name">BTC-USD</span></h1>
      <div id="summary" aria-live="polite">
        <span id="latest" class="big">–</span>
        <span id="change" class="change"></span>
        <span id="day-range"></span>
        <span id="age"></span>
        <span id="source"></span>
      </div>
      <button id="theme" type="button" aria-label="Switch to the dark theme">Dark</button>
    </header>
    <ul id="alerts" aria-live="polite" hidden></ul>
    <nav id="controls" aria-label="View">
      <span class="group" id="presets" role="group" aria-label="Range">
        <button data-range="6h">6 h</button><button data-range="1d">1 d</button><button data-range="7d">7 d</button><button data-range="30d">30 d</button><button data-range="1y">1 y</button><button data-range="5y">5 y</button><button data-range="all">all</button>
      </span>
      <span class="group" role="group" aria-label="Move">
        <button id="back" aria-label="Earlier" title="Earlier (←)">◀</button><button id="forward" aria-label="Later" title="Later (→)">▶</button><button id="zoom-out" aria-label="Zoom out" title="Zoom out (−)">−</button><button id="zoom-in" aria-label="Zoom in" title="Zoom in (+)">+</button><button id="now" title="Back to now (Home)">now</button>
      </span>
      <label>Pair <select id="pair"></select></label>
      <label>Style <select id="style"><option value="auto">auto (band from 7 days)</option><option value="line">line</option><option value="band">min–max band</option></select></label>
      <label>Show <select id="mode"><option value="rate">rate</option><option value="change">% change</option></select></label>
      <label>Scale <select id="scale"><option value="linear">linear</option><option value="log">log</option></select></label>
      <label>Time zone <select id="tz"></select></label>
      <span id="compare" role="group" aria-label="Compare with" hidden></span>
    </nav>
    <main>
      <div id="frame" tabindex="0" aria-label="Rate graph: ← → move, + − zoom, Home for now, Shift+← → read points" aria-describedby="readout">
        <img id="graph" alt="Rate graph" draggable="false">
        <div id="selection" hidden></div>
        <div id="cursor" hidden></div>
        <div id="readout" role="status" aria-live="polite" hidden></div>
        <div id="empty" hidden></div>
      </div>
      <p id="range-label"></p>
      <p id="status" role="status"></p>
      <section id="history" hidden>
        <h2>Alerts in this view <label class="inline"><input type="checkbox" id="annotations" checked> shade on the graph</label></h2>
        <ul id="periods"></ul>
      </section>
    </main>
    <footer>Drag, wheel or pinch to zoom; swipe to pan; double-click to zoom out. Gaps are periods without data. <a href="/data.csv" id="csv">CSV of this view</a></footer>
    </body>
    </html>
    """#

    /// The tab icon, so that browsers do not ask for a /favicon.ico that is not there.
    static let icon = #"""
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#f7931a"/><path d="M7 22 L13 14 L18 18 L25 9" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>
    """#
}
