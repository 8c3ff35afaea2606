/**
 * The status page: static HTML + a small script that polls /api/v1/status every 2 s and redraws, so it refreshes
 * without a reload. No external assets (the gateway often runs without internet access).
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>otel-bridge status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; }
  h1 { font-size: 1.4rem; margin: 0 0 .5rem; } h2 { font-size: 1.1rem; margin-top: 1.5rem; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { background: #f3f4f6; } code { font-size: 12px; }
  .state-running, .health-up { color: #137333; font-weight: 600; } .state-failed, .health-down { color: #b3261e; font-weight: 600; }
  .state-starting, .state-stopping, .state-reloading, .health-unknown { color: #b26a00; font-weight: 600; }
  nav a { margin-right: 1rem; } .muted { color: #666; } .counters { font-family: monospace; font-size: 12px; white-space: pre; }
</style>
</head>
<body>
<h1>otel-bridge <span id="version" class="muted"></span></h1>
<div id="summary" class="muted">loading…</div>
<nav id="links"><a href="/healthz">/healthz</a><a href="/readyz">/readyz</a><a href="/api/v1/status">/api/v1/status</a><a href="/debug/config">/debug/config</a></nav>
<h2>Pipelines</h2>
<table id="pipelines"><thead><tr><th>pipeline</th><th>receivers</th><th>processors</th><th>exporters</th></tr></thead><tbody></tbody></table>
<h2>Components</h2>
<table id="components"><thead><tr><th>component</th><th>kind</th><th>pipeline</th><th>state</th><th>counters</th><th>details</th></tr></thead><tbody></tbody></table>
<h2>Targets</h2>
<label><input type="checkbox" id="unhealthy-only"> unhealthy only</label>
<table id="targets"><thead><tr><th>job</th><th>endpoint</th><th>health</th><th>labels</th><th>last scrape</th><th>duration</th><th>error</th></tr></thead><tbody></tbody></table>
<p class="muted">Refreshed every 2 s. <span id="updated"></span></p>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
function row(cells) { return '<tr>' + cells.map((c) => '<td>' + c + '</td>').join('') + '</tr>'; }
function counters(obj) { return Object.entries(obj || {}).filter(([k]) => !k.includes('{')).map(([k, v]) => esc(k) + ' ' + v).join('\\n'); }
function details(d) {
  if (!d) return '';
  const copy = Object.assign({}, d); delete copy.targets;
  return '<code>' + esc(JSON.stringify(copy)) + '</code>';
}
async function refresh() {
  try {
    const r = await fetch('/api/v1/status', { cache: 'no-store' });
    const s = await r.json();
    document.getElementById('version').textContent = 'v' + s.version;
    document.getElementById('summary').innerHTML = 'state <span class="state-' + esc(s.state) + '" id="gateway-state">' + esc(s.state) + '</span> · ready ' + esc(s.ready) + ' · up ' + esc(s.uptimeSeconds) + ' s · config ' + esc((s.configFiles || []).join(', ')) + ' · reloads ok ' + esc(s.reloads && s.reloads.ok) + ' failed ' + esc(s.reloads && s.reloads.failed);
    const links = ['/healthz', '/readyz', '/api/v1/status', '/debug/config'].concat(s.opsRoutes || []);
    document.getElementById('links').innerHTML = links.map((l) => '<a href="' + esc(l) + '">' + esc(l) + '</a>').join('') + (s.selfMetrics || []).map((u) => '<a href="' + esc(u.replace('0.0.0.0', location.hostname)) + '">self-metrics</a>').join('');
    document.querySelector('#pipelines tbody').innerHTML = (s.pipelines || []).map((p) => row([esc(p.id), esc(p.receivers.join(', ')), esc(p.processors.join(', ')), esc(p.exporters.join(', '))])).join('');
    document.querySelector('#components tbody').innerHTML = (s.components || []).map((c) => row([esc(c.id), esc(c.kind), esc(c.pipeline || ''), '<span class="state-' + esc(c.state) + '">' + esc(c.state) + '</span>' + (c.error ? '<br><span class="muted">' + esc(c.error) + '</span>' : ''), '<div class="counters">' + counters(c.counters) + '</div>', details(c.details)])).join('');
    const only = document.getElementById('unhealthy-only').checked;
    const targets = (s.components || []).flatMap((c) => (c.details && c.details.targets) || []).filter((t) => !only || t.health !== 'up');
    document.querySelector('#targets tbody').innerHTML = targets.map((t) => row([esc(t.job), esc(t.scrapeUrl), '<span class="health-' + esc(t.health) + '">' + esc(t.health) + '</span>', '<code>' + esc(JSON.stringify(t.labels)) + '</code>', esc(t.lastScrape || ''), esc(t.lastScrapeDuration ?? ''), esc(t.lastError || '')])).join('');
    document.getElementById('updated').textContent = 'Last update ' + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById('summary').textContent = 'cannot reach the gateway: ' + e;
  }
}
document.getElementById('unhealthy-only').addEventListener('change', refresh);
refresh(); setInterval(refresh, 2000);
</script>
</body>
</html>
`;
