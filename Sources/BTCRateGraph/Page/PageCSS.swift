/// `/static/style.css`: readable at phone width, no external fonts.
enum PageCSS {
    static let style = #"""
    :root { --accent: #f7931a; --ink: #1d1d1f; --muted: #6e6e73; --line: #d2d2d7; }
    * { box-sizing: border-box; }
    body { margin: 0 auto; max-width: 1280px; padding: 12px; font: 15px/1.4 system-ui, -apple-system, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
    header { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 8px; }
    h1 { font-size: 20px; margin: 0; }
    h1 select { font-size: 14px; }
    #summary { display: flex; flex-wrap: wrap; gap: 12px; align-items: baseline; }
    .big { font-size: 24px; font-weight: 600; }
    .change.up { color: #1a7f37; } .change.down { color: #c62828; }
    #age.stale { color: #c62828; font-weight: 600; }
    #age, #source { color: var(--muted); }
    #alerts { list-style: none; margin: 10px 0 0; padding: 0; }
    #alerts li { padding: 6px 10px; margin-bottom: 4px; border-left: 4px solid #f9a825; background: #fff8e1; }
    #alerts li.critical { border-color: #c62828; background: #ffebee; }
    #alerts li.info { border-color: #1565c0; background: #e3f2fd; }
    #alerts b { margin-right: 6px; }
    nav { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0; }
    .group { display: inline-flex; }
    button, select { font: inherit; padding: 6px 10px; border: 1px solid var(--line); background: #fafafa; cursor: pointer; }
    .group button + button { border-left: none; }
    button.active { background: var(--accent); color: #fff; border-color: var(--accent); }
    #frame { position: relative; width: 100%; user-select: none; touch-action: pan-y; }
    #graph { display: block; width: 100%; height: auto; cursor: crosshair; }
    #selection { position: absolute; top: 0; bottom: 0; background: rgba(247, 147, 26, 0.18); border: 1px solid var(--accent); pointer-events: none; }
    #cursor { position: absolute; width: 1px; background: rgba(0, 0, 0, 0.35); pointer-events: none; }
    #readout { position: absolute; top: 4px; padding: 2px 6px; background: rgba(255, 255, 255, 0.92); border: 1px solid var(--line); font-size: 13px; white-space: nowrap; pointer-events: none; }
    #range-label, #status, footer { color: var(--muted); font-size: 13px; }
    #status.error { color: #c62828; }
    @media (max-width: 600px) { body { padding: 6px; } .big { font-size: 20px; } button, select { padding: 6px 8px; } }
    """#
}
