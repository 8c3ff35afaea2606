/**
 * PollingProvider, the base of file_sd / http_sd / dns_sd: emits only changed groups, per-source errors keep the last
 * good groups and show as `source: message` (logged once per message), a failed refresh keeps everything and shows
 * its message as is, concurrent refreshes share one run (or run once more with rerunWhenBusy), nothing after stop().
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PollingProvider, type PollingOptions } from '../../src/receivers/prometheus/discovery/polling.ts';
import type { TargetGroup } from '../../src/receivers/prometheus/discovery/types.ts';
import { memoryLogger } from '../helpers/gateway.ts';

const group = (addr: string): TargetGroup => ({ source: addr, targets: [{ __address__: addr }], labels: {} });

/** Sources `a` and `b`; `fail` maps a source to the error it throws; `throwAll` fails the whole refresh. */
class FakeProvider extends PollingProvider {
  calls = 0;
  fail = new Map<string, string>();
  throwAll: string | undefined;
  addr = new Map([['a', 'a:1'], ['b', 'b:1']]);
  gate: Promise<void> | undefined;
  readonly logs: Record<string, unknown>[];
  private readonly last = new Map<string, TargetGroup>();

  constructor(opts: Partial<PollingOptions> = {}) {
    const { logger, logs } = memoryLogger();
    super('fake', logger, { intervalMs: 3_600_000, keyField: 'src', errorMessage: 'fake: failed', ...opts });
    this.logs = logs;
  }

  protected async discover(): Promise<TargetGroup[]> {
    this.calls++;
    await this.gate;
    if (this.throwAll !== undefined) throw new Error(this.throwAll);
    for (const [k, a] of this.addr) {
      const msg = this.fail.get(k);
      if (msg === undefined) {
        this.last.set(k, group(a));
        this.errors.delete(k);
      } else this.keyFailed(k, msg);
    }
    return [...this.last.values()];
  }
}

function collect() {
  const seen: TargetGroup[][] = [];
  return { seen, update: (g: TargetGroup[]) => void seen.push(g) };
}

test('emits only changes; a failing source keeps its last good groups, is logged once and shown in status()', async () => {
  const p = new FakeProvider();
  const c = collect();
  p.start(c.update);
  await p.refresh();
  assert.deepEqual(c.seen, [[group('a:1'), group('b:1')]]);
  await p.refresh();
  assert.equal(c.seen.length, 1, 'unchanged groups are not emitted again');
  p.fail.set('b', 'boom');
  p.addr.set('b', 'b:2');
  await p.refresh();
  await p.refresh();
  assert.equal(c.seen.length, 1, 'b keeps its last good group');
  assert.equal(p.status().lastError, 'b: boom');
  assert.equal(p.status().targets, 2);
  assert.deepEqual(p.logs.filter((l) => l['msg'] === 'fake: failed').map((l) => [l['src'], l['err']]), [['b', 'boom']]);
  p.fail.clear();
  await p.refresh();
  assert.equal(p.status().lastError, undefined);
  assert.deepEqual(c.seen.at(-1), [group('a:1'), group('b:2')]);
  p.stop();
});

test('a failed refresh keeps all groups, its message is lastError as is, logged once with logContext', async () => {
  const p = new FakeProvider({ logContext: { url: 'http://sd/' } });
  const c = collect();
  p.start(c.update);
  await p.refresh();
  p.throwAll = 'server returned HTTP status 500';
  await p.refresh();
  await p.refresh();
  assert.equal(p.status().lastError, 'server returned HTTP status 500');
  assert.equal(p.status().groups, 2);
  assert.equal(c.seen.length, 1);
  assert.deepEqual(p.logs.filter((l) => l['msg'] === 'fake: failed').map((l) => [l['url'], l['err']]), [['http://sd/', 'server returned HTTP status 500']]);
  p.throwAll = undefined;
  await p.refresh();
  assert.equal(p.status().lastError, undefined);
  p.stop();
});

for (const rerunWhenBusy of [false, true]) {
  test(`refresh while one runs: ${rerunWhenBusy ? 'run once more afterwards' : 'shares the running one'}`, async () => {
    const p = new FakeProvider({ rerunWhenBusy });
    let open!: () => void;
    p.gate = new Promise((r) => (open = r));
    p.start(() => {});
    const first = p.refresh();
    const second = p.refresh();
    assert.equal(p.calls, 1);
    open();
    await Promise.all([first, second]);
    await new Promise((r) => setImmediate(r));
    assert.equal(p.calls, rerunWhenBusy ? 2 : 1);
    p.stop();
  });
}

test('nothing is refreshed, emitted or logged after stop()', async () => {
  const p = new FakeProvider();
  let open!: () => void;
  p.gate = new Promise((r) => (open = r));
  const c = collect();
  p.start(c.update);
  p.throwAll = 'aborted';
  p.stop();
  open();
  await p.refresh();
  await new Promise((r) => setImmediate(r));
  assert.equal(p.calls, 1);
  assert.deepEqual(c.seen, []);
  assert.equal(p.status().lastError, undefined);
  assert.equal(p.logs.filter((l) => l['msg'] === 'fake: failed').length, 0);
});
