"""The report's stylesheet, inlined into the HTML (no font or file is fetched)."""

CSS = """
:root {
  color-scheme: light;
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --zebra: #f6f8fa; --bg: #ffffff;
  --accent: #0969da;
  --supported: #1a7f37; --supported-bg: #dafbe1;
  --refuted: #cf222e; --refuted-bg: #ffebe9;
  --expected: #9a6700; --expected-bg: #fff8c5;
  --inconclusive: #59636e; --inconclusive-bg: #eaeef2;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans",
    "Liberation Sans", Arial, sans-serif;
  font-size: 15px; line-height: 1.5;
}
main { max-width: 1280px; margin: 0 auto; padding: 28px 32px 64px; }
code, .mono, pre {
  font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono",
    "DejaVu Sans Mono", monospace;
  font-size: 0.86em;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 1.75rem; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 {
  font-size: 1.3rem; margin: 44px 0 12px; padding-bottom: 6px;
  border-bottom: 1px solid var(--line);
}
h3 { font-size: 1.05rem; margin: 24px 0 8px; }
.lede { color: var(--muted); margin: 0 0 16px; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 0 0 14px; padding: 0; }
.facts div { display: flex; gap: 6px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-weight: 600; }
.summary { display: flex; flex-wrap: wrap; gap: 8px; margin: 6px 0 0; }
nav.toc { margin: 12px 0 0; font-size: 0.9rem; color: var(--muted); }
nav.toc a { margin-right: 14px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td {
  text-align: left; vertical-align: top; padding: 7px 10px; border-bottom: 1px solid var(--line);
}
thead th {
  background: #eef1f4; font-weight: 600; font-size: 0.8rem; text-transform: uppercase;
  letter-spacing: 0.03em; color: #424a53; border-bottom: 2px solid var(--line); white-space: nowrap;
}
tbody tr:nth-child(even) { background: var(--zebra); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id { font-weight: 600; overflow-wrap: anywhere; min-width: 10em; }
td.statement { min-width: 220px; }
th.p { text-transform: none; }
td.threshold { color: #424a53; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
.table-wrap table tr:last-child td { border-bottom: 0; }
.badge {
  display: inline-block; padding: 1px 10px; border-radius: 999px; font-size: 0.8rem;
  font-weight: 600; white-space: nowrap; border: 1px solid currentColor;
}
.badge.supported { color: var(--supported); background: var(--supported-bg); }
.badge.refuted { color: var(--refuted); background: var(--refuted-bg); }
.badge.expected-refutation { color: var(--expected); background: var(--expected-bg); }
.badge.inconclusive { color: var(--inconclusive); background: var(--inconclusive-bg); }
.claims-cards {
  display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px;
}
.card {
  border: 1px solid var(--line); border-left: 4px solid var(--inconclusive); border-radius: 8px;
  padding: 10px 14px 12px; background: #fff;
}
.card.supported { border-left-color: var(--supported); }
.card.refuted { border-left-color: var(--refuted); }
.card.expected-refutation { border-left-color: var(--expected); }
.card h3 {
  margin: 0 0 2px; font-size: 0.98rem; display: flex; gap: 10px; align-items: baseline;
  flex-wrap: wrap;
}
.card .statement { margin: 0 0 6px; color: #30363d; }
.card .rule { margin: 0 0 6px; font-size: 0.85rem; color: var(--muted); }
.card .rule b { color: var(--fg); font-weight: 600; font-variant-numeric: tabular-nums; }
.card .nodeid { font-size: 0.75rem; color: var(--muted); word-break: break-all; margin: 6px 0 0; }
dl.kv {
  display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0;
  font-size: 0.82rem;
}
dl.kv dt { color: var(--muted); }
dl.kv dd {
  margin: 0; white-space: pre-wrap; word-break: break-word; font-variant-numeric: tabular-nums;
}
figure { margin: 18px 0 0; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: 0.85rem; color: var(--muted); margin: 8px auto 0; max-width: 900px; }
.note {
  padding: 8px 12px; background: var(--zebra); border: 1px dashed var(--line); border-radius: 6px;
  color: var(--muted); font-size: 0.9rem; margin: 14px 0 0;
}
.config-grid {
  display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 12px 20px;
}
.config-grid table td:first-child { color: var(--muted); width: 40%; }
.config-grid td { word-break: break-word; white-space: pre-wrap; }
footer {
  margin-top: 48px; color: var(--muted); font-size: 0.82rem; border-top: 1px solid var(--line);
  padding-top: 10px;
}
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure { break-inside: avoid; }
}
"""
