/**
 * Authentication (bearertokenauth, basicauth) and TLS / mTLS on the otlp receiver, as clients see them; secrets never
 * reach the logs; misconfigured authenticators fail start with a clear message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { freePorts } from '../helpers/ports.ts';
import { startGateway, telemetryYaml } from '../helpers/gateway.ts';
import { decodeRpcStatus, encodeExportMetricsRequest } from '../../src/codec/otlp/index.ts';
import { everything } from '../otlp-codec/everything.ts';
import { captured, grpcExport, otlpPost, selfSignedCert, testRegistry } from './helpers.ts';
import { sdkClient } from './sdk.ts';

const TOKEN = 's3cr3t-t0ken-value';
const PB = { 'content-type': 'application/x-protobuf' };
const body = encodeExportMetricsRequest(everything());
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

function pipeline(receiverYaml: string, extensionsYaml = '', serviceExtensions: string[] = []): string {
  return `
${extensionsYaml}
receivers:
  otlp:
    protocols:
${receiverYaml}
exporters:
  capture:
    name: security
service:
  extensions: [${serviceExtensions.join(', ')}]
${telemetryYaml()}  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [capture]
`;
}

test('bearertokenauth: 401 / UNAUTHENTICATED without or with a wrong token, accepted with it; the token is never logged', async () => {
  const [g, h] = await freePorts(2);
  const gw = await startGateway(
    pipeline(
      `      grpc:\n        endpoint: 127.0.0.1:${g}\n        auth:\n          authenticator: bearertokenauth/in\n      http:\n        endpoint: 127.0.0.1:${h}\n        auth:\n          authenticator: bearertokenauth/in\n`,
      `extensions:\n  bearertokenauth/in:\n    token: ${TOKEN}\n`,
      ['bearertokenauth/in'],
    ),
    { registry: testRegistry() },
  );
  try {
    const url = `http://127.0.0.1:${h}/v1/metrics`;
    const missing = await otlpPost(url, body, PB);
    assert.equal(missing.status, 401);
    assert.equal(decodeRpcStatus(missing.body).message, 'unauthenticated: missing "authorization" header');
    const wrong = await otlpPost(url, body, { ...PB, authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.equal(decodeRpcStatus(wrong.body).message, 'unauthenticated: invalid Bearer token');
    const scheme = await otlpPost(url, body, { ...PB, authorization: TOKEN });
    assert.match(decodeRpcStatus(scheme.body).message, /does not use the "Bearer" scheme/);
    assert.equal((await otlpPost(url, body, { ...PB, authorization: `Bearer ${TOKEN}` })).status, 200);

    const gm = await grpcExport(`127.0.0.1:${g}`, body);
    assert.equal(gm.code, grpc.status.UNAUTHENTICATED);
    assert.equal(gm.message, 'unauthenticated: missing "authorization" header');
    const gw2 = await grpcExport(`127.0.0.1:${g}`, body, { metadata: { authorization: 'Bearer x' } });
    assert.equal(gw2.code, grpc.status.UNAUTHENTICATED);
    assert.equal((await grpcExport(`127.0.0.1:${g}`, body, { metadata: { authorization: `Bearer ${TOKEN}` } })).code, 0);

    // The real SDK with the header configured gets through, over both transports.
    for (const [proto, u] of [['grpc', `http://127.0.0.1:${g}`], ['http/protobuf', url]] as const) {
      const sdk = sdkClient(proto, u, { headers: { authorization: `Bearer ${TOKEN}` } });
      sdk.record(1);
      await sdk.flush();
      await sdk.shutdown();
    }
    assert.ok(captured('security').length >= 4);
    assert.ok(!JSON.stringify(gw.logs).includes(TOKEN), 'token must not be logged');
  } finally {
    await gw.stop();
  }
});

test('basicauth with htpasswd (bcrypt, apr1, SHA-512 crypt): right credentials pass, anything else is 401', async () => {
  const [h, g] = await freePorts(2);
  const apr1 = execFileSync('openssl', ['passwd', '-apr1', 'b0b pass']).toString().trim();
  const sha512 = execFileSync('openssl', ['passwd', '-6', 'carol!']).toString().trim();
  const gw = await startGateway(
    pipeline(
      `      http:\n        endpoint: 127.0.0.1:${h}\n        auth:\n          authenticator: basicauth/server\n      grpc:\n        endpoint: 127.0.0.1:${g}\n        auth:\n          authenticator: basicauth/server\n`,
      `extensions:\n  basicauth/server:\n    htpasswd:\n      inline: |\n        alice:$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n        bob:${apr1}\n        carol:${sha512}\n`,
      ['basicauth/server'],
    ),
    { registry: testRegistry() },
  );
  try {
    const url = `http://127.0.0.1:${h}/v1/metrics`;
    for (const [u, p] of [['alice', 'U*U'], ['bob', 'b0b pass'], ['carol', 'carol!']]) {
      assert.equal((await otlpPost(url, body, { ...PB, authorization: basic(u!, p!) })).status, 200, u);
      assert.equal((await otlpPost(url, body, { ...PB, authorization: basic(u!, 'wrong') })).status, 401, u);
    }
    const unknown = await otlpPost(url, body, { ...PB, authorization: basic('mallory', 'x') });
    assert.equal(decodeRpcStatus(unknown.body).message, 'unauthenticated: invalid username or password');
    const bearer = await otlpPost(url, body, { ...PB, authorization: 'Bearer x' });
    assert.equal(decodeRpcStatus(bearer.body).message, 'unauthenticated: "authorization" header is not Basic credentials');
    assert.equal((await grpcExport(`127.0.0.1:${g}`, body, { metadata: { authorization: basic('alice', 'U*U') } })).code, 0);
    assert.equal((await grpcExport(`127.0.0.1:${g}`, body, { metadata: { authorization: basic('alice', 'U*V') } })).code, grpc.status.UNAUTHENTICATED);
    assert.ok(!JSON.stringify(gw.logs).includes('U*U'));
  } finally {
    await gw.stop();
  }
});

test('start fails clearly when the authenticator is missing or cannot check requests', async () => {
  const [h] = await freePorts(1);
  await assert.rejects(
    startGateway(pipeline(`      http:\n        endpoint: 127.0.0.1:${h}\n        auth:\n          authenticator: bearertokenauth/nope\n`), { registry: testRegistry() }),
    /receiver "otlp" failed to start: receiver otlp protocols.http.auth: authenticator "bearertokenauth\/nope" is not a running extension; define it under "extensions:" and list it in service.extensions/,
  );
  await assert.rejects(
    startGateway(
      pipeline(`      http:\n        endpoint: 127.0.0.1:${h}\n        auth:\n          authenticator: basicauth/client\n`, `extensions:\n  basicauth/client:\n    client_auth:\n      username: u\n      password: p\n`, ['basicauth/client']),
      { registry: testRegistry() },
    ),
    /extension "basicauth\/client" cannot authenticate incoming requests/,
  );
});

test('TLS and mTLS: TLS clients served; a plaintext client gets a clear 400 (HTTP) / UNAVAILABLE (gRPC); mTLS requires a client certificate', async () => {
  const certs = selfSignedCert();
  const ca = readFileSync(certs.ca);
  const [g, h, gm] = await freePorts(3);
  const tls = `        tls:\n          cert_file: ${certs.cert}\n          key_file: ${certs.key}\n`;
  const gw = await startGateway(
    `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${g}
${tls}      http:
        endpoint: 127.0.0.1:${h}
${tls}  otlp/mtls:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${gm}
${tls}          client_ca_file: ${certs.ca}
exporters:
  capture:
    name: tls
service:
${telemetryYaml()}  pipelines:
    metrics:
      receivers: [otlp, otlp/mtls]
      exporters: [capture]
`,
    { registry: testRegistry() },
  );
  try {
    assert.equal((await otlpPost(`https://localhost:${h}/v1/metrics`, body, PB, { ca })).status, 200);
    const plain = await otlpPost(`http://127.0.0.1:${h}/v1/metrics`, body, PB);
    assert.equal(plain.status, 400);
    assert.match(plain.body.toString(), /Client sent an HTTP request to an HTTPS server: this OTLP endpoint requires TLS/);
    const sslCreds = grpc.credentials.createSsl(ca);
    assert.equal((await grpcExport(`localhost:${g}`, body, { credentials: sslCreds })).code, 0);
    const insecure = await grpcExport(`127.0.0.1:${g}`, body);
    assert.equal(insecure.code, grpc.status.UNAVAILABLE);
    const noCert = await grpcExport(`localhost:${gm}`, body, { credentials: sslCreds });
    assert.equal(noCert.code, grpc.status.UNAVAILABLE, 'mTLS port refuses a client without certificate');
    const withCert = grpc.credentials.createSsl(ca, readFileSync(certs.clientKey), readFileSync(certs.clientCert));
    assert.equal((await grpcExport(`localhost:${gm}`, body, { credentials: withCert })).code, 0);
    // Still serving after the refused clients.
    assert.equal((await otlpPost(`https://localhost:${h}/v1/metrics`, body, PB, { ca })).status, 200);
  } finally {
    await gw.stop();
  }
});

test('bearertokenauth filename: several tokens accepted, and a rewritten token file takes effect without a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tok-'));
  const file = join(dir, 'tokens');
  writeFileSync(file, 'first-token\nsecond-token\n');
  const [h] = await freePorts(1);
  const gw = await startGateway(
    pipeline(`      http:\n        endpoint: 127.0.0.1:${h}\n        auth:\n          authenticator: bearertokenauth/file\n`, `extensions:\n  bearertokenauth/file:\n    filename: ${file}\n`, ['bearertokenauth/file']),
    { registry: testRegistry() },
  );
  try {
    const url = `http://127.0.0.1:${h}/v1/metrics`;
    const status = async (t: string) => (await otlpPost(url, body, { ...PB, authorization: `Bearer ${t}` })).status;
    assert.equal(await status('first-token'), 200);
    assert.equal(await status('second-token'), 200);
    assert.equal(await status('rotated-token'), 401);
    writeFileSync(file, 'rotated-token\n');
    const until = Date.now() + 10_000;
    while ((await status('rotated-token')) !== 200) {
      if (Date.now() > until) throw new Error('rotated token never accepted');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await status('first-token'), 401);
  } finally {
    await gw.stop();
  }
});
