/**
 * The status page in a real browser (Debian chromium driven by playwright-core, headless, 127.0.0.1 only):
 * it lists pipelines and components with their state, and refreshes counters without a reload.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium as chromiumLauncher } from 'playwright-core';
import { chromium } from '../helpers/peers.ts';
import { gaugeBatch, pushInto, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';

test('status page shows pipelines, component states and live counters', async () => {
  const executablePath = chromium();
  const ops = await freePort();
  const gw = await startGateway(
    `extensions:
  health_check: {endpoint: "127.0.0.1:${ops}"}
receivers:
  testpush/apps: {}
processors:
  batch: {timeout: 10ms}
exporters:
  testrecord/sink: {}
service:
  extensions: [health_check]
  pipelines:
    metrics/apps:
      receivers: [testpush/apps]
      processors: [batch]
      exporters: [testrecord/sink]
${telemetryYaml()}`,
    { registry: testRegistry() },
  );
  after(() => gw.stop());
  // A fresh, empty profile each run; the flags keep Chromium off the network (only 127.0.0.1 is reachable here).
  const context = await chromiumLauncher.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chromium-')), {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  after(() => context.close());
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${ops}/`);
  await page.waitForSelector('#components tbody tr');
  assert.equal(await page.title(), 'otel-bridge status');
  assert.equal(await page.textContent('#gateway-state'), 'running');
  const pipelineRow = await page.textContent('#pipelines tbody tr');
  assert.match(pipelineRow ?? '', /metrics\/apps.*testpush\/apps.*batch.*testrecord\/sink/s);
  // These callbacks run in the page (no DOM types in this project's tsconfig, hence the loose typing).
  const rows = await page.$$eval('#components tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td') as ArrayLike<{ textContent: string | null }>).map((td) => td.textContent?.trim() ?? '')));
  const byId = new Map(rows.map((r) => [r[0], r]));
  for (const id of ['health_check', 'testrecord/sink', 'batch', 'testpush/apps']) assert.equal(byId.get(id)?.[3], 'running', `${id} shown running`);
  const links = await page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.includes('/healthz') && links.includes('/readyz') && links.includes('/debug/config'));

  // Counters update without a page reload.
  await pushInto('testpush/apps', gaugeBatch(['a', 'b', 'c']));
  await page.waitForFunction(() => /otelcol_processor_incoming_items 3/.test((globalThis as any).document.querySelector('#components')?.textContent ?? ''), undefined, { timeout: 10_000 });
  await page.screenshot({ path: join(gw.dir, 'status-page.png'), fullPage: true });
});
