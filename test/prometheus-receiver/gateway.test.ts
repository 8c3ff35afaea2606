import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { recorders, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';
import { rows, startTarget, waitFor, type TargetServer } from './helpers.ts';

const open: Array<TargetServer | TestGateway> = [];
after(async () => {
  for (const o of open) await (o as { stop?: () => Promise<void> }).stop?.();
  for (const o of open) await (o as { close?: () => Promise<void> }).close?.();
});

function yaml(target: string, opsPort: number, recorder: string, extra = ''): string {
  return `extensions:
  health_check:
    endpoint: 127.0.0.1:${opsPort}
receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: app
          scrape_interval: 200ms
          static_configs:
            - targets: ['${target}']
exporters:
  testrecord/${recorder}:${extra}
service:
  extensions: [health_check]
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [testrecord/${recorder}]
${telemetryYaml()}`;
}

test('scheduled scrapes on a fixed grid through a whole gateway; targets on the status API', async () => {
  const t = await startTarget('# TYPE g gauge\ng 1\n');
  const port = await freePort();
  const gw = await startGateway(yaml(t.address, port, 'grid'), { registry: testRegistry() });
  open.push(t, gw);
  const rec = recorders.get('testrecord/grid')!;
  await waitFor(() => rec.batches.length >= 6, 5000, 'six scrapes');
  const ups = rec.batches.flatMap((b) => rows(b)).filter((r) => r.name === 'up');
  assert.ok(ups.every((u) => u.value === 1));
  // Scrapes stay on the 200 ms grid: no drift accumulates (a drifting loop would be off by more at every tick). A
  // loaded machine can delay single timers, so late ticks are tolerated as long as most scrapes are on the grid.
  const t0 = ups[0]!.time;
  const offGrid = ups.map((u) => {
    const ms = Number(u.time - t0) / 1e6;
    return Math.abs(ms - Math.round(ms / 200) * 200);
  });
  const onGrid = offGrid.filter((o) => o <= 25).length;
  assert.ok(onGrid * 2 > offGrid.length, `scrape times off the 200 ms grid by ${offGrid.map((o) => o.toFixed(0)).join(', ')} ms`);
  const status = (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as { components: Array<{ id: string; details?: { targets?: Array<Record<string, unknown>> } }> };
  const targets = status.components.find((c) => c.id === 'prometheus')!.details!.targets!;
  assert.equal(targets.length, 1);
  assert.equal(targets[0]!['health'], 'up');
  assert.equal(targets[0]!['job'], 'app');
  assert.equal(targets[0]!['scrapeUrl'], `http://${t.address}/metrics`);
  const api = (await (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ health: string }> } };
  assert.equal(api.data.activeTargets[0]!.health, 'up');
});

test('backpressure from the pipeline: pushes skipped and counted, target stays up', async () => {
  const t = await startTarget('g 1\n');
  const port = await freePort();
  const gw = await startGateway(yaml(t.address, port, 'full', '\n    fail: backpressure'), { registry: testRegistry() });
  open.push(t, gw);
  const counters = async () => {
    const s = (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as { components: Array<{ id: string; counters: Record<string, number>; details: { targets: Array<{ health: string }> } }> };
    return s.components.find((c) => c.id === 'prometheus')!;
  };
  let c = await counters();
  const end = Date.now() + 5000;
  while ((c.counters['otelcol_receiver_prometheus_pushes_skipped'] ?? 0) < 2 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    c = await counters();
  }
  assert.ok((c.counters['otelcol_receiver_prometheus_pushes_skipped'] ?? 0) >= 2);
  assert.ok((c.counters['otelcol_receiver_refused_metric_points'] ?? 0) > 0);
  assert.ok((c.counters['otelcol_receiver_prometheus_scrapes_completed'] ?? 0) >= 2);
  assert.equal(c.details.targets[0]!.health, 'up');
});

test('scrape -> relabel -> exporter: relabeled series are right scrape after scrape (shared attribute lists stay intact)', async () => {
  const t = await startTarget('# TYPE g gauge\ng{code="200"} 1\ng{code="500"} 2\n');
  const port = await freePort();
  const cfg = yaml(t.address, port, 'relabeled')
    .replace('exporters:\n', 'processors:\n  relabel:\n    relabel_configs:\n      - {target_label: team, replacement: core}\n      - {source_labels: [code], regex: "5..", target_label: class, replacement: error}\nexporters:\n')
    .replace('      receivers: [prometheus]\n', '      receivers: [prometheus]\n      processors: [relabel]\n');
  const gw = await startGateway(cfg, { registry: testRegistry() });
  open.push(t, gw);
  const rec = recorders.get('testrecord/relabeled')!;
  await waitFor(() => rec.batches.length >= 4, 5000, 'four scrapes');
  for (const b of rec.batches.slice(0, 4)) {
    const gs = rows(b)
      .filter((r) => r.name === 'g')
      .map((r) => JSON.stringify(Object.entries(r.attrs).sort()))
      .sort();
    const want = (o: Record<string, string>) => JSON.stringify(Object.entries(o).sort());
    assert.deepEqual(gs, [want({ code: '200', team: 'core' }), want({ code: '500', team: 'core', class: 'error' })].sort());
  }
});
