/**
 * OTLP pass-through (MetricsData.encoded): received protobuf bytes reach OTLP exporters unchanged when nothing
 * changed the data; a mutating processor never lets stale bytes through; batch concatenates encodings.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { decodeExportMetricsRequest, encodeExportMetricsRequest } from '../../src/codec/otlp/index.ts';
import { gaugeBatch, pushInto, recorders, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';

let running: TestGateway | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function withEncoding(names: string[]) {
  const md = gaugeBatch(names);
  md.encoded = encodeExportMetricsRequest(md);
  return md;
}

test('encoded bytes pass untouched without processors, and are dropped before a mutating processor', async () => {
  running = await startGateway(
    `receivers:\n  testpush/a: {}\nprocessors:\n  testmutate/m: {prefix: "m_"}\nexporters:\n  testrecord/direct: {}\n  testrecord/mutated: {}\nservice:\n  pipelines:\n    metrics/direct:\n      receivers: [testpush/a]\n      exporters: [testrecord/direct]\n    metrics/mutated:\n      receivers: [testpush/a]\n      processors: [testmutate/m]\n      exporters: [testrecord/mutated]\n${telemetryYaml()}`,
    { registry: testRegistry() },
  );
  const md = withEncoding(['x']);
  const bytes = md.encoded!;
  await pushInto('testpush/a', md);
  assert.equal(recorders.get('testrecord/direct')!.encodings[0], bytes, 'same bytes, not re-encoded');
  assert.equal(recorders.get('testrecord/mutated')!.encodings[0], undefined, 'stripped before the mutating processor');
  assert.deepEqual(recorders.get('testrecord/mutated')!.names(), ['m_x']);
});

test('batch concatenates the encodings of merged requests (a valid protobuf of the merged data)', async () => {
  running = await startGateway(
    `receivers:\n  testpush/a: {}\nprocessors:\n  batch: {timeout: 50ms, send_batch_size: 100}\nexporters:\n  testrecord/e: {}\nservice:\n  pipelines:\n    metrics:\n      receivers: [testpush/a]\n      processors: [batch]\n      exporters: [testrecord/e]\n${telemetryYaml()}`,
    { registry: testRegistry() },
  );
  await Promise.all([pushInto('testpush/a', withEncoding(['a'])), pushInto('testpush/a', withEncoding(['b', 'c']))]);
  const rec = recorders.get('testrecord/e')!;
  assert.equal(rec.batches.length, 1);
  const enc = rec.encodings[0];
  assert.ok(enc !== undefined, 'merged batch keeps an encoding');
  const decoded = decodeExportMetricsRequest(enc);
  assert.deepEqual(decoded, rec.batches[0]);
  // One part without an encoding: the merged batch has none (it is re-encoded by the exporter).
  const plain = gaugeBatch(['d']);
  await Promise.all([pushInto('testpush/a', withEncoding(['e'])), pushInto('testpush/a', plain)]);
  assert.equal(rec.encodings[1], undefined);
});
