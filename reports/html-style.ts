/** The stylesheet inlined into every HTML report: system fonts only, nothing fetched. */
export const REPORT_CSS = `
:root {
  --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --soft: #f8fafc; --page: #f1f5f9;
  --pass: #15803d; --pass-bg: #dcfce7; --fail: #b91c1c; --fail-bg: #fee2e2;
  --error: #b45309; --error-bg: #fef3c7; --intr: #475569; --intr-bg: #e2e8f0;
  --accent: #2563eb;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 26px; margin: 0; line-height: 1.25; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
section, header.hero { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 0 0 16px; }
header.hero { border-top: 6px solid var(--intr); }
header.hero.status-passed { border-top-color: var(--pass); }
header.hero.status-failed, header.hero.status-aborted { border-top-color: var(--fail); }
header.hero.status-error { border-top-color: var(--error); }
.eyebrow { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .06em; margin-bottom: 4px; }
.title-row { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; }
.scenario-id { color: var(--accent); }
.description { color: #334155; margin: 10px 0 0; max-width: 80ch; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 22px; color: var(--muted); font-size: 13px; margin-top: 12px; }
.meta b { color: var(--ink); font-weight: 600; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 700;
  text-transform: uppercase; letter-spacing: .05em; white-space: nowrap; }
.badge-lg { font-size: 14px; padding: 4px 14px; }
.badge-passed { background: var(--pass-bg); color: var(--pass); }
.badge-failed, .badge-aborted { background: var(--fail-bg); color: var(--fail); }
.badge-error { background: var(--error-bg); color: var(--error); }
.badge-interrupted { background: var(--intr-bg); color: var(--intr); }
.badge-none { background: var(--intr-bg); color: var(--muted); }
.badge-info { background: #e0f2fe; color: #0369a1; }
.badge-warn { background: var(--error-bg); color: var(--error); }
.reason { margin-top: 14px; padding: 10px 14px; border-radius: 8px; background: var(--soft); border-left: 4px solid var(--intr); }
ul.why { margin: 6px 0 0; padding-left: 20px; }
.reason.status-failed, .reason.status-aborted { background: var(--fail-bg); border-left-color: var(--fail); }
.reason.status-error { background: var(--error-bg); border-left-color: var(--error); }
.sabotage { background: #7f1d1d; color: #fff; border-radius: 10px; padding: 14px 20px; margin: 0 0 16px; }
.sabotage h2 { color: #fff; margin-bottom: 6px; }
.sabotage p { margin: 0 0 8px; color: #fecaca; }
.sabotage .chip { background: #fff; color: #7f1d1d; font-weight: 700; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; margin: 0 0 16px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
.card .value { font-size: 22px; font-weight: 700; }
.card-wide { grid-column: span 2; }
.card .sub { color: var(--muted); font-size: 12.5px; }
.value.bad { color: var(--fail); }
.value.good { color: var(--pass); }
.chips { display: flex; flex-wrap: wrap; gap: 8px; }
.chip { display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px; border-radius: 999px;
  background: var(--soft); border: 1px solid var(--line); font-size: 13px; }
.chip.clause-passed { background: var(--pass-bg); border-color: #86efac; }
.chip.clause-failed { background: var(--fail-bg); border-color: #fca5a5; }
.chip.sabotaged { background: #7f1d1d; color: #fff; border-color: #7f1d1d; font-weight: 700; font-size: 12px; }
.chip .count { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 7px 10px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.row-failed td { background: #fff5f5; }
tr.row-failed td:first-child { box-shadow: inset 4px 0 0 var(--fail); }
tr.level-warn td { background: #fffbeb; }
tr.level-error td { background: #fff5f5; }
.kv th { width: 210px; text-transform: none; letter-spacing: 0; font-size: 13px; color: #334155; background: none; }
.seed { color: #334155; font-style: italic; }
.muted { color: var(--muted); }
.note { color: #334155; background: var(--soft); border-radius: 8px; padding: 8px 12px; font-size: 13px; margin: 10px 0 0; }
.grid-2 { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
@media (max-width: 820px) { .grid-2 { grid-template-columns: 1fr; } }
.subsection { border-top: 1px solid var(--line); margin-top: 18px; padding-top: 4px; }
.subsection:first-of-type { border-top: 0; margin-top: 0; }
.spec { color: var(--muted); margin: -4px 0 8px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; color: var(--muted); font-size: 12.5px; margin: 4px 0 0 64px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -2px; margin-right: 5px; }
.sw-load { background: #93c5fd; } .sw-action { background: #ddd6fe; border: 1px solid #7c3aed; } .sw-fault { background: #fca5a5; } .sw-band { background: rgba(239, 68, 68, .16); border: 1px solid rgba(239, 68, 68, .5); }
.sw-planned { border: 1.5px dashed #94a3b8; } .sw-ok { background: #16a34a; border-radius: 50%; } .sw-server { background: #dc2626; border-radius: 50%; }
.sw-other { background: #d97706; border-radius: 50%; } .sw-value { background: #2563eb; border-radius: 50%; } .sw-threshold { border-top: 2px dashed #7c3aed; height: 0; vertical-align: 3px; } .sw-none { background: #6b7280; }
.sw-expected { background: #94a3b8; } .sw-req { background: #93c5fd; } .sw-err { background: #ef4444; } .sw-p95 { background: #0f766e; height: 3px; vertical-align: 3px; }
.sw-max { border-top: 2px dotted #94a3b8; height: 0; vertical-align: 3px; }
svg.chart { display: block; width: 100%; height: auto; margin: 6px 0 2px; font-size: 11px; }
svg.chart .grid { stroke: #eef2f7; stroke-width: 1; }
svg.chart .axis { stroke: #94a3b8; stroke-width: 1; }
svg.chart .tick { fill: var(--muted); font-size: 11px; }
svg.chart .panel-title { fill: #334155; font-size: 11.5px; font-weight: 600; }
svg.chart .empty-note { fill: var(--muted); font-size: 13px; font-style: italic; }
svg.chart .fault-band { fill: rgba(239, 68, 68, .13); stroke: rgba(239, 68, 68, .45); stroke-width: 1; }
svg.chart .fault-band.fault-open { fill: rgba(239, 68, 68, .22); stroke-dasharray: 4 3; }
svg.chart .abort-rule { stroke: #b91c1c; stroke-width: 2; stroke-dasharray: 6 3; }
svg.chart .abort-label { fill: #b91c1c; font-size: 11px; font-weight: 700; }
svg.chart .lane-planned { fill: none; stroke: #94a3b8; stroke-width: 1.2; stroke-dasharray: 4 3; }
svg.chart .lane-load { fill: #bfdbfe; stroke: #3b82f6; stroke-width: 1; }
svg.chart .lane-fault { fill: #fecaca; stroke: #ef4444; stroke-width: 1; }
svg.chart .lane-action { fill: #ddd6fe; stroke: #7c3aed; stroke-width: 1; }
svg.chart .band-label { fill: #991b1b; font-size: 10.5px; font-weight: 600; }
svg.chart .lane-label { fill: var(--ink); font-size: 12px; font-weight: 600; }
svg.chart .lane-error { fill: var(--fail); }
svg.chart .bar-requests { fill: #93c5fd; }
svg.chart .bar-errors { fill: #ef4444; }
svg.chart .bar-expected { fill: #94a3b8; }
svg.chart .line-p95 { fill: none; stroke: #0f766e; stroke-width: 2; }
svg.chart .line-max { fill: none; stroke: #94a3b8; stroke-width: 1.2; stroke-dasharray: 2 3; }
svg.chart .dot-p95 { fill: #0f766e; }
svg.chart .probe-trace { fill: none; stroke: #cbd5e1; stroke-width: 1; }
svg.chart .pt-ok { fill: #16a34a; }
svg.chart .trend-line { fill: none; stroke: #2563eb; stroke-width: 1.6; }
svg.chart .trend-dot { fill: #2563eb; }
svg.chart .trend-now { fill: #0f172a; }
svg.chart .pt-value { fill: #2563eb; }
svg.chart .value-trace { fill: none; stroke: #2563eb; stroke-width: 1.6; }
svg.chart .threshold { stroke: #7c3aed; stroke-width: 1.4; stroke-dasharray: 6 4; }
svg.chart .threshold-label { fill: #7c3aed; font-size: 11px; font-weight: 600; }
svg.chart .pt-server { fill: #dc2626; }
svg.chart .pt-other { fill: #d97706; }
svg.chart .pt-none { fill: none; stroke: #6b7280; stroke-width: 1.6; }
.log { max-height: 460px; overflow: auto; border: 1px solid var(--line); border-radius: 8px; }
.log table td { padding: 4px 10px; }
.log th { position: sticky; top: 0; }
a { color: var(--accent); }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 20px; }
@media print {
  body { background: #fff; }
  section, header.hero, .card { break-inside: avoid; border-color: #cbd5e1; }
  .log { max-height: none; overflow: visible; }
}
`;
