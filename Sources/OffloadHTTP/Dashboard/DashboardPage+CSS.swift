extension DashboardPage {
    static let css = #"""
:root {
  --bg: #f5f6f8; --surface: #ffffff; --surface-2: #f9fafb; --border: #e4e7ec; --border-strong: #d0d5dd;
  --text: #101828; --text-2: #344054; --muted: #667085; --faint: #98a2b3;
  --accent: #4f46e5; --accent-hover: #4338ca; --accent-soft: #eef2ff;
  --scheduled: #7a5af8; --pending: #2e90fa; --active: #f79009; --completed: #12b76a; --dead: #f04438; --cancelled: #98a2b3;
  --ok: #12b76a; --danger: #d92d20; --danger-soft: #fef3f2; --warn-soft: #fffaeb; --warn: #b54708;
  --shadow: 0 1px 2px rgba(16, 24, 40, .05);
  --radius: 10px;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  color-scheme: light;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0c111d; --surface: #161b26; --surface-2: #1f242f; --border: #2a303c; --border-strong: #394150;
    --text: #f5f5f6; --text-2: #cecfd2; --muted: #94969c; --faint: #61646c;
    --accent: #6172f3; --accent-hover: #8098f9; --accent-soft: #1f2342;
    --danger-soft: #2d1515; --warn-soft: #2b1f0c; --warn: #fdb022;
    --shadow: none; color-scheme: dark;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif;
  -webkit-font-smoothing: antialiased;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
.num { font-variant-numeric: tabular-nums; }
[hidden] { display: none !important; }

/* Top bar */
.topbar { background: #101828; color: #fff; position: sticky; top: 0; z-index: 20; }
.topbar-inner { max-width: 1280px; margin: 0 auto; padding: 0 20px; height: 56px; display: flex; align-items: center; gap: 24px; }
.brand { display: flex; align-items: center; gap: 10px; color: #fff; font-weight: 650; font-size: 16px; letter-spacing: -.01em; }
.brand:hover { text-decoration: none; }
.logo { width: 28px; height: 28px; }
.logo rect { fill: #6366f1; }
.logo path { fill: none; stroke: #fff; stroke-width: 3; stroke-linecap: round; stroke-linejoin: round; }
.nav { display: flex; gap: 4px; }
.nav a { color: #cbd5e1; padding: 6px 12px; border-radius: 6px; font-weight: 500; }
.nav a:hover { color: #fff; background: rgba(255,255,255,.08); text-decoration: none; }
.nav a.current { color: #fff; background: rgba(255,255,255,.14); }
.live { margin-left: auto; display: flex; align-items: center; gap: 8px; }
.live-toggle { display: flex; align-items: center; gap: 8px; background: transparent; border: 1px solid rgba(255,255,255,.16);
  color: #cbd5e1; border-radius: 999px; padding: 4px 12px; font: inherit; font-size: 12.5px; cursor: pointer; white-space: nowrap; }
.live-toggle:hover { border-color: rgba(255,255,255,.32); color: #fff; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--faint); flex: none; }
.dot.ok { background: var(--ok); box-shadow: 0 0 0 3px rgba(18,183,106,.22); }
.dot.error { background: var(--dead); box-shadow: 0 0 0 3px rgba(240,68,56,.25); }
.dot.paused { background: #94a3b8; }
.topbar .btn-ghost { color: #cbd5e1; border-color: rgba(255,255,255,.16); }
.topbar .btn-ghost:hover { color: #fff; background: rgba(255,255,255,.08); }

/* Layout */
.container { max-width: 1280px; margin: 0 auto; padding: 24px 20px 48px; }
.page-head { display: flex; align-items: flex-end; justify-content: space-between; gap: 16px; flex-wrap: wrap; margin-bottom: 16px; }
.page-head h1 { font-size: 22px; line-height: 1.25; margin: 0; letter-spacing: -.015em; font-weight: 650; }
.page-head .sub { color: var(--muted); margin: 2px 0 0; }
.crumbs { color: var(--muted); font-size: 13px; margin-bottom: 6px; }
.crumbs a { color: var(--muted); }
.grid { display: grid; gap: 16px; }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); min-width: 0; }
.card + .card, .grid + .card, .card + .grid { margin-top: 16px; }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding: 14px 18px; border-bottom: 1px solid var(--border); flex-wrap: wrap; }
.card-head h2 { font-size: 15px; margin: 0; font-weight: 600; }
.card-head .hint { color: var(--muted); font-size: 12.5px; font-weight: 400; margin-left: 8px; }
.card-body { padding: 16px 18px; }
.empty { padding: 28px 18px; text-align: center; color: var(--muted); }

/* Summary tiles */
.tiles { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; margin-bottom: 16px; }
.tile { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 14px 16px; box-shadow: var(--shadow); min-width: 0; }
.tile .label { color: var(--muted); font-size: 12.5px; font-weight: 500; display: flex; align-items: center; gap: 6px; white-space: nowrap; }
.tile .value { font-size: 24px; font-weight: 650; letter-spacing: -.02em; margin-top: 4px; font-variant-numeric: tabular-nums; }
.tile .value.danger { color: var(--dead); }
.swatch { width: 8px; height: 8px; border-radius: 2px; display: inline-block; flex: none; background: var(--faint); }
.swatch[data-swatch=scheduled] { background: var(--scheduled); } .swatch[data-swatch=pending] { background: var(--pending); }
.swatch[data-swatch=active] { background: var(--active); } .swatch[data-swatch=completed] { background: var(--completed); }
.swatch[data-swatch=dead] { background: var(--dead); } .swatch[data-swatch=cancelled] { background: var(--cancelled); }

/* Tables */
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: 10px 14px; text-align: left; border-bottom: 1px solid var(--border); white-space: nowrap; vertical-align: middle; }
th { font-size: 12px; font-weight: 500; color: var(--muted); background: var(--surface-2); }
th:first-child, td:first-child { padding-left: 18px; }
th:last-child, td:last-child { padding-right: 18px; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover td { background: var(--surface-2); }
td.r, th.r { text-align: right; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td .zero { color: var(--faint); }
td.wrap { white-space: normal; min-width: 200px; }
.count-link { color: var(--text); font-weight: 500; }
.count-link.danger { color: var(--dead); font-weight: 600; }
.queue-name { font-weight: 600; color: var(--text); }
.qcell { display: flex; align-items: center; gap: 8px; }
.actions { display: flex; gap: 6px; justify-content: flex-end; }
.truncate { max-width: 320px; overflow: hidden; text-overflow: ellipsis; display: inline-block; vertical-align: bottom; }

/* Badges */
.badge { display: inline-flex; align-items: center; gap: 5px; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 500;
  background: var(--surface-2); color: var(--text-2); border: 1px solid var(--border); white-space: nowrap; }
.badge::before { content: ""; width: 6px; height: 6px; border-radius: 50%; background: currentColor; opacity: .9; }
.badge.plain::before { display: none; }
.state-scheduled { color: var(--scheduled); } .state-pending { color: var(--pending); } .state-active { color: var(--active); }
.state-completed { color: var(--completed); } .state-dead { color: var(--dead); } .state-cancelled { color: var(--cancelled); }
.badge.state-scheduled, .badge.state-pending, .badge.state-active, .badge.state-completed, .badge.state-dead, .badge.state-cancelled { font-weight: 600; }
.badge.paused { color: var(--warn); background: var(--warn-soft); border-color: transparent; }
.chip { display: inline-block; font-family: var(--mono); font-size: 12px; padding: 1px 7px; border-radius: 6px; background: var(--accent-soft); color: var(--accent); margin: 1px 4px 1px 0; }
.chip:hover { text-decoration: none; filter: brightness(.96); }

/* Buttons and inputs */
.btn { display: inline-flex; align-items: center; justify-content: center; gap: 6px; font: inherit; font-weight: 500; font-size: 13px;
  padding: 6px 12px; border-radius: 8px; border: 1px solid var(--border-strong); background: var(--surface); color: var(--text-2);
  cursor: pointer; white-space: nowrap; line-height: 1.4; }
.btn:hover { background: var(--surface-2); }
.btn:disabled { opacity: .5; cursor: default; }
.btn:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.btn-sm { padding: 3px 9px; font-size: 12.5px; border-radius: 6px; }
.btn-primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn-primary:hover { background: var(--accent-hover); }
.btn-danger { color: var(--danger); }
.btn-danger:hover { background: var(--danger-soft); }
.btn-danger-solid { background: var(--danger); border-color: var(--danger); color: #fff; }
.btn-danger-solid:hover { background: #b42318; }
.btn-ghost { background: transparent; }
input[type=text], input[type=password], input[type=search], select {
  font: inherit; font-size: 13.5px; padding: 6px 10px; border: 1px solid var(--border-strong); border-radius: 8px;
  background: var(--surface); color: var(--text); min-width: 0; }
select { padding-right: 28px; }

/* Job list toolbar */
.toolbar { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; padding: 12px 18px; border-bottom: 1px solid var(--border); }
.toolbar label { color: var(--muted); font-size: 12.5px; display: flex; align-items: center; gap: 8px; }
.search { display: flex; gap: 6px; margin-left: auto; }
.search input { width: 300px; }
.segments { display: flex; gap: 2px; padding: 0 12px; border-bottom: 1px solid var(--border); overflow-x: auto; }
.segments a { display: flex; align-items: center; gap: 6px; padding: 10px 10px 9px; color: var(--muted); font-weight: 500; border-bottom: 2px solid transparent; white-space: nowrap; }
.segments a:hover { color: var(--text); text-decoration: none; }
.segments a.current { color: var(--text); border-bottom-color: var(--accent); }
.segments .n { font-size: 11.5px; background: var(--surface-2); border: 1px solid var(--border); border-radius: 999px; padding: 0 7px; font-variant-numeric: tabular-nums; color: var(--text-2); }
.pager { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 10px 18px; border-top: 1px solid var(--border); color: var(--muted); font-size: 12.5px; }
.pager .btns { display: flex; gap: 6px; }

/* Chart */
.chart { position: relative; padding: 8px 12px 4px 4px; }
.chart svg { display: block; width: 100%; overflow: visible; }
.chart .grid-line { stroke: var(--border); stroke-width: 1; }
.chart .axis-label { fill: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; }
.chart .bar-processed { fill: var(--completed); }
.chart .bar-failed { fill: var(--dead); }
.chart .partial { opacity: .55; }
.chart .hover-band { fill: transparent; }
.chart .hover-band:hover { fill: var(--surface-2); }
.chart .empty-label { fill: var(--muted); font-size: 13px; }
.legend { display: flex; gap: 14px; color: var(--muted); font-size: 12.5px; align-items: center; flex-wrap: wrap; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.chart-tip { position: absolute; pointer-events: none; background: #101828; color: #fff; font-size: 12px; padding: 6px 9px; border-radius: 6px;
  white-space: nowrap; transform: translate(-50%, -100%); box-shadow: 0 4px 12px rgba(0,0,0,.18); }
.overview-split { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 16px; margin-bottom: 16px; }
.overview-split > .card, .detail-grid > .card { margin-top: 0; }
.detail-grid + .detail-grid { margin-top: 16px; }
.title-row { display: inline-flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.title-row .badge { font-size: 12.5px; }
.job-id { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
.chart-foot { display: flex; flex-wrap: wrap; gap: 4px 28px; padding: 10px 18px 14px; border-top: 1px solid var(--border); }
.chart-foot .stat { display: flex; flex-direction: column; }
.chart-foot .k { color: var(--muted); font-size: 12px; }
.chart-foot .v { font-weight: 600; font-size: 15px; font-variant-numeric: tabular-nums; }
.side-card { display: flex; flex-direction: column; }
.worker-list { flex: 1 1 0; min-height: 160px; overflow-y: auto; }
.worker-list ul { list-style: none; margin: 0; padding: 0; }
.worker-list li { padding: 12px 18px; border-bottom: 1px solid var(--border); }
.worker-list li:last-child { border-bottom: 0; }
.worker-top { display: flex; justify-content: space-between; gap: 12px; font-size: 12.5px; }
.worker-id { font-weight: 600; color: var(--text); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.worker-meta { color: var(--muted); font-size: 12.5px; margin: 2px 0 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.worker-jobs { margin-top: 8px; display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; }
.stat-list { list-style: none; margin: 0; padding: 6px 18px 12px; }
.stat-list li { display: flex; justify-content: space-between; align-items: center; padding: 8px 0; border-bottom: 1px solid var(--border); }
.stat-list li:last-child { border-bottom: 0; }
.stat-list .k { color: var(--muted); display: flex; align-items: center; gap: 8px; }
.stat-list .v { font-weight: 600; font-variant-numeric: tabular-nums; }

/* Worker load bar */
.load { display: inline-flex; align-items: center; gap: 8px; }
.meter { width: 64px; height: 6px; background: var(--surface-2); border: 1px solid var(--border); border-radius: 999px; overflow: hidden; }
.meter > i { display: block; height: 100%; background: var(--accent); border-radius: 999px; }

/* Job detail */
.detail-grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
.props { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 8px 20px; margin: 0; padding: 16px 18px; }
.props dt { color: var(--muted); }
.props dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.progress { height: 8px; background: var(--surface-2); border: 1px solid var(--border); border-radius: 999px; overflow: hidden; }
.progress > i { display: block; height: 100%; background: var(--accent); transition: width .3s ease; }
.progress-row { display: flex; align-items: center; gap: 12px; }
.progress-row .progress { flex: 1; }
.progress-msg { color: var(--muted); font-size: 12.5px; margin-top: 6px; }
.error-box { margin-bottom: 16px; border: 1px solid #fecdca; background: var(--danger-soft); color: var(--danger); border-radius: 8px; padding: 12px 14px; }
.error-box .etype { font-family: var(--mono); font-size: 12px; font-weight: 600; text-transform: none; }
.error-box .emsg { color: var(--text); margin-top: 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.json { margin: 0; padding: 14px 18px; font-family: var(--mono); font-size: 12.5px; line-height: 1.55; overflow: auto; max-height: 360px;
  background: var(--surface-2); border-radius: 0 0 var(--radius) var(--radius); white-space: pre-wrap; overflow-wrap: anywhere; }
.json .k { color: #7a5af8; } .json .s { color: #067647; } .json .n { color: #b54708; } .json .b { color: #175cd3; }
@media (prefers-color-scheme: dark) { .json .k { color: #bdb4fe; } .json .s { color: #75e0a7; } .json .n { color: #fec84b; } .json .b { color: #84caff; } }
.timeline { list-style: none; margin: 0; padding: 16px 18px 8px; }
.timeline li { position: relative; padding: 0 0 16px 24px; }
.timeline li::before { content: ""; position: absolute; left: 5px; top: 14px; bottom: -2px; width: 2px; background: var(--border); }
.timeline li:last-child::before { display: none; }
.timeline .mark { position: absolute; left: 0; top: 5px; width: 12px; height: 12px; border-radius: 50%; background: var(--surface); border: 3px solid currentColor; }
.timeline .what { font-weight: 600; }
.timeline .when { color: var(--muted); font-size: 12.5px; }
.timeline .delta { color: var(--muted); font-size: 12px; margin-left: 6px; }
.timeline li.future { opacity: .55; }

/* Toasts, modal, sign-in */
.toasts { position: fixed; right: 16px; bottom: 16px; display: flex; flex-direction: column; gap: 8px; z-index: 60; max-width: calc(100vw - 32px); }
.toast { background: #101828; color: #fff; padding: 10px 14px; border-radius: 8px; box-shadow: 0 8px 24px rgba(16,24,40,.2); font-size: 13px;
  border-left: 3px solid var(--ok); animation: toast-in .18s ease-out; max-width: 420px; overflow-wrap: anywhere; }
.toast.error { border-left-color: var(--dead); }
@keyframes toast-in { from { transform: translateY(8px); opacity: 0; } to { transform: none; opacity: 1; } }
.overlay { position: fixed; inset: 0; background: rgba(16,24,40,.55); display: flex; align-items: center; justify-content: center; z-index: 50; padding: 16px; }
.dialog { background: var(--surface); border-radius: 12px; box-shadow: 0 20px 48px rgba(16,24,40,.28); width: 100%; max-width: 420px; padding: 22px; }
.dialog h2 { margin: 0 0 6px; font-size: 17px; }
.dialog p { margin: 0 0 16px; color: var(--muted); }
.dialog .buttons { display: flex; justify-content: flex-end; gap: 8px; margin-top: 18px; }
.dialog input { width: 100%; }
.dialog .form-error { color: var(--danger); font-size: 12.5px; margin-top: 8px; }
.banner { border: 1px solid #fecdca; background: var(--danger-soft); color: var(--danger); border-radius: 8px; padding: 10px 14px; margin-bottom: 16px; }

/* Small screens */
@media (max-width: 1100px) { .tiles { grid-template-columns: repeat(3, minmax(0, 1fr)); } }
@media (max-width: 900px) {
  .overview-split, .detail-grid { grid-template-columns: minmax(0, 1fr); }
  .worker-list { flex: none; max-height: 360px; }
  .search { margin-left: 0; width: 100%; }
  .search input { flex: 1; width: auto; }
}
@media (max-width: 640px) {
  .topbar-inner { height: auto; flex-wrap: wrap; padding: 10px 14px; gap: 8px 14px; }
  .nav { order: 3; width: 100%; overflow-x: auto; }
  .container { padding: 16px 12px 40px; }
  .tiles { grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px; }
  .tile { padding: 10px 12px; }
  .tile .label { font-size: 12px; }
  .tile .value { font-size: 20px; }
  .hide-sm { display: none; }
  th, td { padding: 8px 10px; }
  .page-head h1 { font-size: 19px; }
  .props { grid-template-columns: minmax(0, 1fr); gap: 2px; }
  .props dd { margin-bottom: 8px; }
}
"""#
}
