/** ExportMetricsServiceResponse and google.rpc.Status codecs, checked against protobufjs with the upstream schemas. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import {
  BAD_REQUEST_TYPE_URL,
  RETRY_INFO_TYPE_URL,
  badRequestDetail,
  decodeExportMetricsResponse,
  decodeExportMetricsResponseJson,
  decodeRetryInfo,
  decodeRpcStatus,
  decodeRpcStatusJson,
  encodeExportMetricsResponse,
  encodeExportMetricsResponseJson,
  encodeRetryInfo,
  encodeRpcStatus,
  encodeRpcStatusJson,
  retryInfoDetail,
  ProtoDecodeError,
} from '../../src/codec/otlp/index.ts';

const fixture = (f: string): string => fileURLToPath(new URL(`../fixtures/otlp/${f}`, import.meta.url));
const otlp = protobuf.loadSync(fixture('otlp_metrics.proto'));
const rpc = protobuf.loadSync(fixture('google_rpc.proto'));
const Resp = otlp.lookupType('otlp.ExportMetricsServiceResponse');
const Status = rpc.lookupType('rpc.Status');
const RetryInfo = rpc.lookupType('rpc.RetryInfo');
const BadRequest = rpc.lookupType('rpc.BadRequest');
const AnyT = rpc.lookupType('rpc.Any');
const obj = (t: protobuf.Type, b: Uint8Array): Record<string, unknown> =>
  t.toObject(t.decode(b), { longs: Number, defaults: false }) as Record<string, unknown>;

test('ExportMetricsServiceResponse: full success is empty; partial success round trips', () => {
  assert.equal(encodeExportMetricsResponse().length, 0);
  assert.equal(encodeExportMetricsResponse({ rejectedDataPoints: 0, errorMessage: '' }).length, 0);
  assert.deepStrictEqual(decodeExportMetricsResponse(new Uint8Array(0)), { rejectedDataPoints: 0, errorMessage: '' });
  for (const ps of [
    { rejectedDataPoints: 12, errorMessage: 'points without time' },
    { rejectedDataPoints: 0, errorMessage: 'warning only' },
    { rejectedDataPoints: 2 ** 40, errorMessage: '' },
  ]) {
    const b = encodeExportMetricsResponse(ps);
    assert.deepStrictEqual(decodeExportMetricsResponse(b), ps);
    const expected: Record<string, unknown> = {};
    if (ps.rejectedDataPoints !== 0) expected['rejectedDataPoints'] = ps.rejectedDataPoints;
    if (ps.errorMessage !== '') expected['errorMessage'] = ps.errorMessage;
    assert.deepStrictEqual(obj(Resp, b), { partialSuccess: expected });
    assert.deepStrictEqual(decodeExportMetricsResponseJson(encodeExportMetricsResponseJson(ps)), ps);
  }
  assert.equal(encodeExportMetricsResponseJson(), '{}');
  assert.equal(
    encodeExportMetricsResponseJson({ rejectedDataPoints: 3, errorMessage: 'x "y"' }),
    '{"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"x \\"y\\""}}',
  );
  assert.deepStrictEqual(decodeExportMetricsResponseJson('{"partial_success":{"rejected_data_points":4}}'), {
    rejectedDataPoints: 4,
    errorMessage: '',
  });
});

test('google.rpc.Status with RetryInfo and BadRequest details (protobuf)', () => {
  const st = {
    code: 8,
    message: 'memory limiter: data refused',
    details: [retryInfoDetail(2.5), badRequestDetail([{ field: 'resourceMetrics[0]', description: 'bad' }])],
  };
  const bytes = encodeRpcStatus(st);
  const theirs = obj(Status, bytes) as { code: number; message: string; details: Array<{ typeUrl: string; value: Uint8Array }> };
  assert.equal(theirs.code, 8);
  assert.equal(theirs.message, 'memory limiter: data refused');
  assert.equal(theirs.details[0]!.typeUrl, RETRY_INFO_TYPE_URL);
  assert.deepStrictEqual(obj(RetryInfo, theirs.details[0]!.value), { retryDelay: { seconds: 2, nanos: 500000000 } });
  assert.equal(theirs.details[1]!.typeUrl, BAD_REQUEST_TYPE_URL);
  assert.deepStrictEqual(obj(BadRequest, theirs.details[1]!.value), {
    fieldViolations: [{ field: 'resourceMetrics[0]', description: 'bad' }],
  });

  const back = decodeRpcStatus(bytes);
  assert.equal(back.code, 8);
  assert.equal(back.message, st.message);
  assert.deepStrictEqual(
    back.details.map((d) => [d.typeUrl, d.value]),
    st.details.map((d) => [d.typeUrl, new Uint8Array(d.value)]),
  );
  assert.equal(decodeRetryInfo(back.details[0]!.value), 2.5);
  // code 0 and empty message are omitted (proto3 defaults)
  assert.equal(encodeRpcStatus({ code: 0, message: '' }).length, 0);
});

test('encodeRetryInfo is a google.protobuf.Any holding RetryInfo', () => {
  const any = obj(AnyT, encodeRetryInfo(30)) as { typeUrl: string; value: Uint8Array };
  assert.equal(any.typeUrl, 'type.googleapis.com/google.rpc.RetryInfo');
  assert.deepStrictEqual(obj(RetryInfo, any.value), { retryDelay: { seconds: 30 } });
  assert.equal(decodeRetryInfo(any.value), 30);
  assert.deepStrictEqual(obj(RetryInfo, retryInfoDetail(0).value), { retryDelay: {} });
  assert.throws(() => retryInfoDetail(-1), RangeError);
});

test('google.rpc.Status JSON (proto3 JSON with Any @type)', () => {
  const json = encodeRpcStatusJson({
    code: 3,
    message: 'invalid "json"',
    details: [retryInfoDetail(1.25), badRequestDetail([{ field: 'a', description: 'b' }]), { typeUrl: 'type.example/x', value: new Uint8Array([1, 2]) }],
  });
  assert.equal(
    json,
    '{"code":3,"message":"invalid \\"json\\"","details":[' +
      '{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.250s"},' +
      '{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"a","description":"b"}]},' +
      '{"@type":"type.example/x","value":"AQI="}]}',
  );
  const back = decodeRpcStatusJson(json);
  assert.equal(back.code, 3);
  assert.equal(back.details[0]!.typeUrl, RETRY_INFO_TYPE_URL);
  assert.deepStrictEqual(back.details[0]!.json, { retryDelay: '1.250s' });
  assert.equal(encodeRpcStatusJson({ code: 14, message: '' }), '{"code":14}');
});

test('response/status decoders reject malformed bytes with ProtoDecodeError', () => {
  assert.throws(() => decodeExportMetricsResponse(Uint8Array.from([0x0a, 0x05, 0x08])), ProtoDecodeError);
  assert.throws(() => decodeRpcStatus(Uint8Array.from([0x12, 0x01, 0xff])), /invalid UTF-8.*google\.rpc\.Status\.message/);
  assert.throws(() => decodeRpcStatus(Uint8Array.from([0x0a, 0x00])), /wrong wire type 2 for a known field/);
});
