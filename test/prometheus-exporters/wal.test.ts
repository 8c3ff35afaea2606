/**
 * The durable WAL (src/exporters/helper/wal): group commit, replay from the cursor, out-of-order lane acks, torn and
 * corrupt tails, truncation of acknowledged segments, the disk limit with `block` and `drop_oldest`, the lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Wal, type WalOptions, type WalRecord } from '../../src/exporters/helper/wal/index.ts';

const logger = pino({ level: 'silent' });
const tmp = () => mkdtempSync(join(tmpdir(), 'otel-bridge-wal-'));
const open = (dir: string, o: Partial<WalOptions> = {}) => Wal.open({ dir, who: 'test', logger, maxBytes: 0, overflow: 'block', ...o });
const rec = (body: string, lane = 0, points = 1) => ({ meta: { lane, laneCount: 2, tag: 1, points, samples: points * 2, aux: 0 }, body: Buffer.from(body) });
const segs = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();

async function take(w: Wal, n: number): Promise<WalRecord[]> {
  const out: WalRecord[] = [];
  for (let i = 0; i < n; i++) out.push((await w.next())!);
  return out;
}

test('concurrent appends are group-committed, in call order, and read back intact', async () => {
  const dir = tmp();
  const w = await open(dir);
  await Promise.all(Array.from({ length: 50 }, (_, i) => w.append([rec(`r${i}`, i % 2, i)])));
  assert.ok(w.commits < 50 && w.commits >= 1, `${w.commits} fdatasyncs for 50 appends`);
  const got = await take(w, 50);
  assert.deepEqual(got.map((r) => r.body.toString()), Array.from({ length: 50 }, (_, i) => `r${i}`));
  assert.deepEqual(got.map((r) => [r.lane, r.points, r.samples]), Array.from({ length: 50 }, (_, i) => [i % 2, i, i * 2]));
  await w.close();
});

test('replay after restart resumes after the last acknowledged record; lanes acked out of order are not resent', async () => {
  const dir = tmp();
  let w = await open(dir);
  await w.append([rec('a', 0), rec('b', 1), rec('c', 0), rec('d', 1), rec('e', 0)]);
  const [a, b, , d] = await take(w, 4);
  w.ack(a!);
  w.ack(b!);
  w.ack(d!); // lane 1 is ahead of lane 0: c is still pending
  await w.close();
  w = await open(dir);
  const again = await take(w, 2);
  assert.deepEqual(again.map((r) => r.body.toString()), ['c', 'e']);
  await w.append([rec('f')]);
  assert.equal((await w.next())!.body.toString(), 'f');
  await w.close();
});

test('a torn last record (killed mid-append) is cut off; everything before it replays', async () => {
  const dir = tmp();
  let w = await open(dir);
  await w.append([rec('one'), rec('two'), rec('three')]);
  await w.close();
  const last = join(dir, segs(dir).at(-1)!);
  const full = readFileSync(last);
  writeFileSync(last, full.subarray(0, full.length - 3)); // the third record lost its last bytes
  w = await open(dir);
  assert.ok(w.recovered.tornBytes > 0);
  assert.deepEqual((await take(w, 2)).map((r) => r.body.toString()), ['one', 'two']);
  await w.append([rec('four')]);
  assert.equal((await w.next())!.body.toString(), 'four');
  await w.close();
});

test('garbage after the last record (bad CRC) is cut off too', async () => {
  const dir = tmp();
  let w = await open(dir);
  await w.append([rec('x')]);
  await w.close();
  const last = join(dir, segs(dir).at(-1)!);
  appendFileSync(last, Buffer.from([30, 0, 0, 0, 1, 2, 3, 4, ...new Array(30).fill(9)]));
  w = await open(dir);
  assert.equal(w.recovered.tornBytes, 38);
  assert.equal((await w.next())!.body.toString(), 'x');
  await w.close();
});

test('acknowledged segments are deleted by truncate(); unacknowledged ones stay', async () => {
  const dir = tmp();
  const w = await open(dir, { segmentBytes: 200 });
  for (let i = 0; i < 20; i++) await w.append([rec('x'.repeat(60))]);
  assert.ok(w.segmentCount > 5, `${w.segmentCount} segments`);
  const all = await take(w, 20);
  for (const r of all.slice(0, 10)) w.ack(r);
  const before = w.segmentCount;
  assert.ok(w.truncate() > 0);
  assert.ok(w.segmentCount < before);
  for (const r of all.slice(10)) w.ack(r);
  w.truncate();
  assert.equal(w.segmentCount, 1);
  assert.equal(segs(dir).length, 1);
  assert.equal(w.backlogBytes, 0);
  await w.close();
});

test('disk limit, overflow block: full() until acknowledged data is truncated', async () => {
  const dir = tmp();
  const w = await open(dir, { maxBytes: 2000, segmentBytes: 400 });
  while (!w.full()) await w.append([rec('y'.repeat(100))]);
  assert.ok(w.bytes >= 2000);
  const n = Math.ceil(w.bytes / 128);
  const got = await take(w, n - 1);
  for (const r of got) w.ack(r);
  assert.equal(w.full(), false);
  await w.close();
});

test('disk limit, overflow drop_oldest: oldest unsent records are dropped and reported, never silently', async () => {
  const dir = tmp();
  const dropped = { records: 0, points: 0, samples: 0 };
  const w = await open(dir, {
    maxBytes: 2000,
    segmentBytes: 400,
    overflow: 'drop_oldest',
    onDropped: (r, p, s) => ((dropped.records += r), (dropped.points += p), (dropped.samples += s)),
  });
  for (let i = 0; i < 40; i++) await w.append([rec(`${String(i).padStart(3, '0')}${'z'.repeat(97)}`, 0, 3)]);
  assert.ok(w.bytes <= 2000 + 400, `${w.bytes} bytes on disk`);
  assert.ok(dropped.records > 0);
  assert.equal(dropped.points, dropped.records * 3);
  const first = (await w.next())!;
  // Reading resumes at the oldest record still on disk, right after the dropped ones.
  assert.equal(Number(first.body.subarray(0, 3).toString()), dropped.records);
  await w.close();
});

test('one WAL directory belongs to one component', async () => {
  const dir = tmp();
  const w = await open(dir);
  await assert.rejects(open(dir), /already used by another component/);
  await w.close();
  const again = await open(dir);
  await again.close();
  assert.ok(statSync(join(dir, 'cursor')).size > 0);
});
