/**
 * Security options of both exporters: the /metrics endpoint over TLS and mTLS; remote write over HTTPS with a CA,
 * mTLS client certificate, and credentials from an auth extension (bearertokenauth) next to user headers.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpsRequest, createServer as createHttpsServer, type Server } from 'node:https';
import { pushInto, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';
import { selfSignedCert } from '../otlp/helpers.ts';
import { uncompressBlock, decodeWriteRequest } from '../../src/codec/remotewrite/index.ts';
import { gauge, get, md, pushConfig, resource, waitFor } from './helpers.ts';

let gw: TestGateway | undefined;
let server: Server | undefined;
afterEach(async () => {
  await gw?.stop();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  gw = undefined;
  server = undefined;
});

function httpsGet(port: number, opts: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/metrics', servername: 'localhost', ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('prometheus exporter over TLS, and mTLS with client_ca_file', async () => {
  const c = selfSignedCert();
  const ca = readFileSync(c.ca);
  const port = await freePort();
  gw = await startGateway(pushConfig(`  prometheus:\n    endpoint: 127.0.0.1:${port}\n    tls: {cert_file: ${c.cert}, key_file: ${c.key}}\n`, ['prometheus']), { registry: testRegistry() });
  await pushInto('testpush', md(resource([gauge('g', [[1]])])));
  const ok = await httpsGet(port, { ca });
  assert.equal(ok.status, 200);
  assert.match(ok.body, /^g\{instance="pod-1",job="api"\} 1$/m);
  await assert.rejects(get(port), 'plain HTTP on the TLS port fails');
  await gw.stop();
  gw = await startGateway(pushConfig(`  prometheus:\n    endpoint: 127.0.0.1:${port}\n    tls: {cert_file: ${c.cert}, key_file: ${c.key}, client_ca_file: ${c.ca}}\n`, ['prometheus']), { registry: testRegistry() });
  await assert.rejects(httpsGet(port, { ca }), 'a client without certificate is refused');
  const withCert = await httpsGet(port, { ca, cert: readFileSync(c.clientCert), key: readFileSync(c.clientKey) });
  assert.equal(withCert.status, 200);
});

test('remote write over HTTPS with mTLS, bearer token from an auth extension, user headers', async () => {
  const c = selfSignedCert();
  const got: Array<{ headers: Record<string, string | string[] | undefined>; names: string[]; authorized: boolean }> = [];
  server = createHttpsServer({ key: readFileSync(c.key), cert: readFileSync(c.cert), ca: readFileSync(c.ca), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (x: Buffer) => chunks.push(x));
    req.on('end', () => {
      const wr = decodeWriteRequest(uncompressBlock(Buffer.concat(chunks)));
      const authorized = (req.socket as unknown as { authorized: boolean }).authorized;
      got.push({ headers: req.headers, names: wr.timeseries.map((t) => t.labels.find((l) => l.name === '__name__')!.value), authorized });
      res.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
  gw = await startGateway(
    `extensions:
  bearertokenauth/prw: {token: s3cret}
receivers:
  testpush: {}
exporters:
  prometheusremotewrite:
    endpoint: https://localhost:${port}/api/v1/write
    headers: {X-Scope-OrgID: team-a}
    auth: {authenticator: bearertokenauth/prw}
    target_info: {enabled: false}
    tls: {ca_file: ${c.ca}, cert_file: ${c.clientCert}, key_file: ${c.clientKey}}
service:
  extensions: [bearertokenauth/prw]
  pipelines:
    metrics: {receivers: [testpush], exporters: [prometheusremotewrite]}
${telemetryYaml()}`,
    { registry: testRegistry() },
  );
  await pushInto('testpush', md(resource([gauge('g', [[1]])])));
  await waitFor(() => got.length === 1, 5000, 'request');
  const r = got[0]!;
  assert.equal(r.authorized, true);
  assert.equal(r.headers['authorization'], 'Bearer s3cret');
  assert.equal(r.headers['x-scope-orgid'], 'team-a');
  assert.equal(r.headers['content-encoding'], 'snappy');
  assert.deepEqual(r.names, ['g']);
});
