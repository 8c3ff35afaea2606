import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cfg, find, job, startReceiver, startTarget, type TargetServer, type TestReceiver } from './helpers.ts';

const open: Array<TargetServer | TestReceiver> = [];
const servers: Server[] = [];
let dir = '';
let cert = '';
let key = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'promtls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
  writeFileSync(join(dir, 'token'), 'from-file\n');
});
after(async () => {
  for (const o of open) await (o as { stop?: () => Promise<void> }).stop?.();
  for (const o of open) await (o as { close?: () => Promise<void> }).close?.();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function listen(s: Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const a = s.address();
  return typeof a === 'object' && a ? a.port : 0;
}

async function httpsTarget(): Promise<number> {
  return listen(createHttpsServer({ cert, key }, (_req, res) => res.end('secure 1\n')) as unknown as Server);
}

const lastError = (r: TestReceiver) => r.receiver.activeTargets()[0]!.lastError;
const up = (r: TestReceiver) => find(r.sink.last(), 'up')!.value;

test('https: ca_file verifies, unknown CA fails, insecure_skip_verify skips', async () => {
  const port = await httpsTarget();
  const addr = `127.0.0.1:${port}`;
  const good = await startReceiver(cfg(job('j', [addr], { scheme: 'https', tls_config: { ca_file: join(dir, 'cert.pem') } })));
  const bad = await startReceiver(cfg(job('j', [addr], { scheme: 'https' })));
  const skip = await startReceiver(cfg(job('j', [addr], { scheme: 'https', tls_config: { insecure_skip_verify: true } })));
  open.push(good, bad, skip);
  await good.scrape('j');
  assert.equal(up(good), 1, lastError(good));
  assert.equal(find(good.sink.last(), 'secure')!.value, 1);
  await bad.scrape('j');
  assert.equal(up(bad), 0);
  assert.match(lastError(bad), /certificate/i);
  await skip.scrape('j');
  assert.equal(up(skip), 1, lastError(skip));
});

test('redirects are followed unless follow_redirects is false', async () => {
  const t = await startTarget('r 1\n');
  t.handler = (req, res) => {
    if (req.url !== '/metrics') return false;
    res.writeHead(302, { Location: '/real' });
    res.end();
    return true;
  };
  const follow = await startReceiver(cfg(job('j', [t.address])));
  const stay = await startReceiver(cfg(job('j', [t.address], { follow_redirects: false })));
  open.push(t, follow, stay);
  await follow.scrape('j');
  assert.equal(find(follow.sink.last(), 'r')!.value, 1);
  assert.equal(t.requests.at(-1)!.url, '/real');
  await stay.scrape('j');
  assert.equal(lastError(stay), 'server returned HTTP status 302 Found');
});

test('credentials_file is read per request', async () => {
  const t = await startTarget('a 1\n');
  const r = await startReceiver(cfg(job('j', [t.address], { authorization: { type: 'Token', credentials_file: join(dir, 'token') } })));
  open.push(t, r);
  await r.scrape('j');
  assert.equal(t.requests[0]!.headers['authorization'], 'Token from-file');
  writeFileSync(join(dir, 'token'), 'rotated');
  await r.scrape('j');
  assert.equal(t.requests[1]!.headers['authorization'], 'Token rotated');
});

test('proxy_url: plain HTTP in absolute form, HTTPS through CONNECT', async () => {
  const t = await startTarget('p 1\n');
  const seen: string[] = [];
  const proxy = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const u = new URL(req.url!);
    const up = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: req.headers, method: req.method }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  proxy.on('connect', (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [h, p] = req.url!.split(':');
    const s = connect(Number(p), h!, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      s.write(head);
      s.pipe(socket);
      socket.pipe(s);
    });
  });
  const pport = await listen(proxy);
  const sport = await httpsTarget();
  const plain = await startReceiver(cfg(job('j', [t.address], { proxy_url: `http://127.0.0.1:${pport}` })));
  const tls = await startReceiver(cfg(job('j', [`127.0.0.1:${sport}`], { scheme: 'https', proxy_url: `http://127.0.0.1:${pport}`, tls_config: { ca_file: join(dir, 'cert.pem') } })));
  const bypass = await startReceiver(cfg(job('j', [t.address], { proxy_url: `http://127.0.0.1:${pport}`, no_proxy: '127.0.0.0/8' })));
  open.push(t, plain, tls, bypass);
  await plain.scrape('j');
  assert.equal(up(plain), 1, lastError(plain));
  assert.deepEqual(seen, [`GET http://${t.address}/metrics`]);
  await tls.scrape('j');
  assert.equal(up(tls), 1, lastError(tls));
  assert.equal(seen[1], `CONNECT 127.0.0.1:${sport}`);
  await bypass.scrape('j');
  assert.equal(up(bypass), 1);
  assert.equal(seen.length, 2);
});

test('max_concurrent_scrapes bounds scrapes in flight', async () => {
  const a = await startTarget('a 1\n');
  const b = await startTarget('b 1\n');
  a.delayMs = b.delayMs = 150;
  const r = await startReceiver({ ...cfg(job('j', [a.address, b.address])), max_concurrent_scrapes: 1 });
  open.push(a, b, r);
  const t0 = Date.now();
  await Promise.all(r.receiver.loops('j').map((l) => l.scrapeAndReport(Date.now())));
  assert.ok(Date.now() - t0 >= 290, 'serialised');
  assert.equal(r.receiver.activeTargets().every((x) => x.health === 'up'), true);
});
