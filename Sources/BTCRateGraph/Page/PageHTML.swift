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
      <h1><span id="pair-name">BTC-USD</span> <select id="pair" aria-label="Pair"></select></h1>
      <div id="summary" aria-live="polite">
        <span id="latest" class="big">–</span>
        <span id="change" class="change"></span>
        <span id="age"></span>
        <span id="source"></span>
      </div>
    </header>
    <ul id="alerts" aria-live="polite" hidden></ul>
    <nav id="controls" aria-label="Range">
      <span class="group" id="presets">
        <button data-range="6h">6 h</button><button data-range="1d">1 d</button><button data-range="7d">7 d</button><button data-range="30d">30 d</button><button data-range="1y">1 y</button><button data-range="5y">5 y</button><button data-range="all">all</button>
      </span>
      <span class="group">
        <button id="back" title="Earlier">◀</button><button id="forward" title="Later">▶</button><button id="now" title="Back to now">now</button>
      </span>
      <span class="group">
        <select id="style" aria-label="Style"><option value="auto">auto</option><option value="line">line</option><option value="band">min–max band</option></select>
      </span>
    </nav>
    <main>
      <div id="frame">
        <img id="graph" alt="Rate graph" draggable="false">
        <div id="selection" hidden></div>
        <div id="cursor" hidden></div>
        <div id="readout" hidden></div>
      </div>
      <p id="range-label"></p>
      <p id="status" role="status"></p>
    </main>
    <footer>Drag across the graph to zoom. All times are UTC. Gaps are periods without data. <a href="/data.csv" id="csv">CSV of this view</a></footer>
    </body>
    </html>
    """#

    /// The tab icon, so that browsers do not ask for a /favicon.ico that is not there.
    static let icon = #"""
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#f7931a"/><path d="M7 22 L13 14 L18 18 L25 9" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>
    """#
}
