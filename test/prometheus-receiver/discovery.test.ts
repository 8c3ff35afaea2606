import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DnsProvider, type DnsResolver } from '../../src/receivers/prometheus/discovery/dns.ts';
import { FileProvider } from '../../src/receivers/prometheus/discovery/file.ts';
import { HttpProvider } from '../../src/receivers/prometheus/discovery/http.ts';
import type { TargetGroup } from '../../src/receivers/prometheus/discovery/types.ts';
import { prometheusReceiverSchema } from '../../src/receivers/prometheus/config.ts';
import { memoryLogger } from '../helpers/gateway.ts';
import { cfg, startReceiver, startTarget, waitFor, type TargetServer, type TestReceiver } from './helpers.ts';

const open: Array<TargetServer | TestReceiver | { stop(): void }> = [];
const dirs: string[] = [];
after(async () => {
  for (const o of open) await (o as { stop?: () => unknown }).stop?.();
  for (const o of open) await (o as { close?: () => Promise<void> }).close?.();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'promsd-'));
  dirs.push(d);
  return d;
}

function sdJob(sd: Record<string, unknown>) {
  return prometheusReceiverSchema.parse({ config: { scrape_configs: [{ job_name: 'j', ...sd }] } }).jobs[0]!;
}

function collect(): { last: () => TargetGroup[]; count: () => number; update: (g: TargetGroup[]) => void } {
  const seen: TargetGroup[][] = [];
  return { last: () => seen[seen.length - 1] ?? [], count: () => seen.length, update: (g) => seen.push(g) };
}

test('file_sd: JSON and YAML, __meta_filepath, watch, bad file keeps last good, removal', async () => {
  const d = tmp();
  const a = join(d, 'a.json');
  const b = join(d, 'b.yml');
  writeFileSync(a, JSON.stringify([{ targets: ['h1:1', 'h2:2'], labels: { env: 'prod' } }]));
  writeFileSync(b, '- targets: [h3:3]\n  labels: {port: 8080}\n');
  const job = sdJob({ file_sd_configs: [{ files: [join(d, '*.json'), join(d, '*.yml')], refresh_interval: '1h' }] });
  const { logger, logs } = memoryLogger();
  const p = new FileProvider('file', job.fileSdConfigs[0]!, logger);
  open.push(p);
  const c = collect();
  p.start(c.update);
  await waitFor(() => c.count() === 1, 3000, 'first read');
  assert.deepEqual(c.last(), [
    { source: `${a}:0`, targets: [{ __address__: 'h1:1' }, { __address__: 'h2:2' }], labels: { env: 'prod', __meta_filepath: a } },
    { source: `${b}:0`, targets: [{ __address__: 'h3:3' }], labels: { port: '8080', __meta_filepath: b } },
  ]);
  writeFileSync(a, JSON.stringify([{ targets: ['h9:9'] }]));
  await waitFor(() => c.last()[0]?.targets[0]?.['__address__'] === 'h9:9', 3000, 'watched change');
  writeFileSync(a, '[{"targets": ["broken"');
  await waitFor(() => p.status().lastError !== undefined, 3000, 'error recorded');
  assert.match(p.status().lastError!, /a\.json/);
  assert.equal(c.last()[0]!.targets[0]!['__address__'], 'h9:9', 'last good kept');
  assert.ok(logs.some((l) => String(l['msg']).includes('file_sd')));
  rmSync(a);
  await waitFor(() => c.last().length === 1, 3000, 'removed file drops its groups');
  assert.equal(p.status().lastError, undefined);
});

test('file_sd end to end: targets appear in the pool, relabeled, with __meta_filepath', async () => {
  const d = tmp();
  const f = join(d, 't.json');
  const t = await startTarget('a 1\n');
  writeFileSync(f, JSON.stringify([{ targets: [t.address], labels: { team: 'x' } }]));
  const r = await startReceiver(
    cfg({
      job_name: 'j',
      file_sd_configs: [{ files: [f] }],
      relabel_configs: [{ source_labels: ['__meta_filepath'], regex: '.*/(.*)', target_label: 'file' }],
    }),
  );
  open.push(t, r);
  await waitFor(() => r.receiver.activeTargets().length === 1, 3000, 'target');
  const at = r.receiver.activeTargets()[0]!;
  assert.deepEqual(at.labels, { file: 't.json', instance: t.address, job: 'j', team: 'x' });
  assert.equal(at.discoveredLabels['__meta_filepath'], f);
});

test('http_sd: groups with __meta_url, auth, last good kept on error', async () => {
  const sd = await startTarget(JSON.stringify([{ targets: ['h1:1'], labels: { a: 'b' } }]), 'application/json');
  open.push(sd);
  const url = `http://${sd.address}/sd`;
  const job = sdJob({ http_sd_configs: [{ url, refresh_interval: '1h', authorization: { credentials: 'tok' } }] });
  const { logger } = memoryLogger();
  const p = new HttpProvider('http', job.httpSdConfigs[0]!, logger, 'test');
  open.push(p);
  const c = collect();
  p.start(c.update);
  await waitFor(() => c.count() === 1, 3000, 'first refresh');
  assert.deepEqual(c.last(), [{ source: `${url}:0`, targets: [{ __address__: 'h1:1' }], labels: { a: 'b', __meta_url: url } }]);
  const req = sd.requests[0]!;
  assert.equal(req.headers['authorization'], 'Bearer tok');
  assert.equal(req.headers['accept'], 'application/json');
  assert.equal(req.headers['x-prometheus-refresh-interval-seconds'], '3600');
  sd.status = 500;
  await p.refresh();
  assert.equal(p.status().lastError, 'server returned HTTP status 500 Internal Server Error');
  assert.equal(c.count(), 1);
  sd.status = 200;
  sd.contentType = 'text/plain';
  await p.refresh();
  assert.equal(p.status().lastError, 'unsupported content type "text/plain"');
  sd.contentType = 'application/json; charset=utf-8';
  sd.body = '[{"targets": ["h2:2"], "labelz": {}}]';
  await p.refresh();
  assert.equal(p.status().lastError, 'group 0: unknown field "labelz"');
  sd.body = '[]';
  await p.refresh();
  assert.equal(p.status().lastError, undefined);
  assert.deepEqual(c.last(), []);
});

test('dns_sd: A records through the system resolver (localhost)', async () => {
  const job = sdJob({ dns_sd_configs: [{ names: ['localhost'], type: 'A', port: 9100 }] });
  const { logger } = memoryLogger();
  const p = new DnsProvider('dns', job.dnsSdConfigs[0]!, logger);
  open.push(p);
  const c = collect();
  p.start(c.update);
  await waitFor(() => c.count() === 1, 5000, 'lookup');
  assert.deepEqual(c.last()[0]!.targets[0], {
    __address__: '127.0.0.1:9100',
    __meta_dns_name: 'localhost',
    __meta_dns_srv_record_target: '',
    __meta_dns_srv_record_port: '',
    __meta_dns_mx_record_target: '',
    __meta_dns_ns_record_target: '',
  });
});

test('dns_sd: SRV records, last good kept when a lookup fails', async () => {
  let fail = false;
  const resolver: DnsResolver = {
    a: async () => [],
    mx: async () => [],
    ns: async () => [],
    srv: async (name) => {
      if (fail) throw new Error(`querySrv ESERVFAIL ${name}`);
      return [{ name: 'node1.example.org', port: 9100 }];
    },
  };
  const job = sdJob({ dns_sd_configs: [{ names: ['_node._tcp.example.org'] }] });
  const { logger } = memoryLogger();
  const p = new DnsProvider('dns', job.dnsSdConfigs[0]!, logger, resolver);
  open.push(p);
  const c = collect();
  p.start(c.update);
  await waitFor(() => c.count() === 1, 3000, 'lookup');
  assert.deepEqual(c.last(), [
    {
      source: '_node._tcp.example.org',
      labels: {},
      targets: [
        {
          __address__: 'node1.example.org:9100',
          __meta_dns_name: '_node._tcp.example.org',
          __meta_dns_srv_record_target: 'node1.example.org.',
          __meta_dns_srv_record_port: '9100',
          __meta_dns_mx_record_target: '',
          __meta_dns_ns_record_target: '',
        },
      ],
    },
  ]);
  fail = true;
  await p.refresh();
  assert.match(p.status().lastError!, /ESERVFAIL/);
  assert.equal(p.status().targets, 1);
});

test('static targets with group labels; target label wins over group label; dropped targets kept', async () => {
  const r = await startReceiver(
    cfg({
      job_name: 'j',
      static_configs: [{ targets: ['a:1', 'b:2'], labels: { env: 'prod' } }],
      relabel_configs: [{ source_labels: ['__address__'], regex: 'b:2', action: 'drop' }],
    }),
  );
  open.push(r);
  assert.deepEqual(r.receiver.activeTargets().map((t) => t.labels), [{ env: 'prod', instance: 'a:1', job: 'j' }]);
  assert.deepEqual(r.receiver.droppedTargets(), [
    { discoveredLabels: { __address__: 'b:2', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '1m', __scrape_timeout__: '10s', env: 'prod', job: 'j' } },
  ]);
});
