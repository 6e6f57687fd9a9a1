/// `/static/style.css`: readable at phone width, no external fonts. The
/// colours are the graph theme's (`GraphTheme`), so page and image are one.
enum PageCSS {
    static let style = #"""
    :root { --accent: #f7931a; --ink: #1d1d1f; --muted: #6e6e73; --line: #d2d2d7; --bg: #fff; --panel: #fafafa;
            --up: #1a7f37; --down: #c62828; --warn-bg: #fff8e1; --crit-bg: #ffebee; --info-bg: #e3f2fd; color-scheme: light; }
    :root[data-theme="dark"] { --ink: #e5e5ea; --muted: #98989d; --line: #3a3a3c; --bg: #161618; --panel: #232326;
            --up: #3fb950; --down: #f85149; --warn-bg: #3a2e12; --crit-bg: #3d1719; --info-bg: #132a45; color-scheme: dark; }
    * { box-sizing: border-box; }
    body { margin: 0 auto; max-width: 1280px; padding: 12px; font: 15px/1.4 system-ui, -apple-system, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
    header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 16px; }
    h1 { font-size: 20px; margin: 0; }
    h2 { font-size: 15px; margin: 12px 0 4px; }
    #summary { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; flex: 1; }
    #theme { margin-left: auto; }
    .big { font-size: 24px; font-weight: 600; }
    .change.up { color: var(--up); } .change.down { color: var(--down); }
    #age.stale { color: var(--down); font-weight: 600; }
    #age, #source, #day-range { color: var(--muted); }
    #alerts { list-style: none; margin: 10px 0 0; padding: 0; }
    #alerts li { padding: 6px 10px; margin-bottom: 4px; border-left: 4px solid #f9a825; background: var(--warn-bg); }
    #alerts li.critical { border-color: #e5484d; background: var(--crit-bg); }
    #alerts li.info { border-color: #3b82f6; background: var(--info-bg); }
    #alerts b { margin-right: 6px; }
    nav { display: flex; flex-wrap: wrap; gap: 8px 12px; margin: 10px 0; align-items: center; }
    label { color: var(--muted); font-size: 14px; }
    .group { display: inline-flex; }
    button, select { font: inherit; color: var(--ink); padding: 6px 10px; border: 1px solid var(--line); background: var(--panel); cursor: pointer; }
    label select { margin-left: 4px; }
    .group button + button { border-left: none; }
    button.active { background: var(--accent); color: #fff; border-color: var(--accent); }
    button:disabled { opacity: 0.45; cursor: default; }
    :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
    #compare label { margin-right: 8px; }
    #frame { position: relative; width: 100%; min-height: 120px; user-select: none; touch-action: pan-y; }
    #frame.loading #graph { opacity: 0.55; transition: opacity 0.2s; }
    #frame.loading::after { content: "Loading…"; position: absolute; top: 8px; right: 10px; font-size: 13px; color: var(--muted); }
    #graph { display: block; width: 100%; height: auto; cursor: crosshair; }
    #selection { position: absolute; top: 0; bottom: 0; background: rgba(247, 147, 26, 0.18); border: 1px solid var(--accent); pointer-events: none; }
    #cursor { position: absolute; width: 1px; background: var(--muted); pointer-events: none; }
    #readout { position: absolute; top: 4px; padding: 2px 6px; background: var(--bg); border: 1px solid var(--line); font-size: 13px; white-space: nowrap; pointer-events: none; }
    #empty { padding: 40px 12px; text-align: center; color: var(--muted); border: 1px dashed var(--line); }
    #range-label, #status, footer { color: var(--muted); font-size: 13px; }
    #status.error { color: var(--down); }
    #periods { list-style: none; padding: 0; margin: 0; }
    #periods button { width: 100%; text-align: left; border-left: 4px solid #f5a524; margin-bottom: 3px; }
    #periods button.critical { border-left-color: #e5484d; } #periods button.info { border-left-color: #3b82f6; }
    .inline { font-weight: normal; margin-left: 8px; }
    @media (max-width: 600px) { body { padding: 6px; font-size: 14px; } .big { font-size: 20px; } button, select { padding: 6px 8px; } nav { gap: 6px; } }
    """#
}
