/**
 * Pid lock files (src/util/pid-lock.ts), as the WAL and file_storage use them: exclusive while held, the live holder
 * reported (this process or another), stale locks of dead processes / garbage / an unheld own pid taken over.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive, tryLock, unlock } from '../../src/util/pid-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'pid-lock-'));

test('a held lock reports this process; unlock removes the file and frees it', () => {
  const f = join(dir, 'own');
  assert.equal(tryLock(f), undefined);
  assert.equal(readFileSync(f, 'utf8'), String(process.pid));
  assert.equal(tryLock(f), process.pid, 'a second taker in this process sees it held');
  unlock(f);
  assert.equal(existsSync(f), false);
  assert.equal(tryLock(f), undefined);
  unlock(f);
});

test('a lock of a live other process is reported, not taken; unlock leaves a lock that is not ours', () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  after(() => child.kill('SIGKILL'));
  const f = join(dir, 'other');
  writeFileSync(f, String(child.pid));
  let told = false;
  assert.equal(tryLock(f, () => (told = true)), child.pid);
  assert.equal(told, false);
  unlock(f);
  assert.equal(readFileSync(f, 'utf8'), String(child.pid));
});

test('stale locks are taken over: a dead process, garbage, and this pid that nothing here holds', () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  assert.ok(deadPid > 0 && !processAlive(deadPid));
  for (const [name, content, previous] of [
    ['dead', String(deadPid), deadPid],
    ['garbage', 'not a pid\n', NaN],
    ['recycled', String(process.pid), process.pid],
  ] as const) {
    const f = join(dir, name);
    writeFileSync(f, content);
    const stale: number[] = [];
    assert.equal(tryLock(f, (p) => stale.push(p)), undefined, name);
    assert.deepEqual(stale, [previous], name);
    assert.equal(readFileSync(f, 'utf8'), String(process.pid), name);
    unlock(f);
  }
});
