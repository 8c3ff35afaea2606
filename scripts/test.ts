/**
 * `npm test` runner: node:test over every test/**\/*.test.ts (peer end-to-end tests named *.slow.test.ts included),
 * `npm run test:fast` (or --fast) skips the slow ones. Fails when no test ran, so an empty or broken glob can never
 * pass. Extra arguments are file filters (substring match), e.g. `npm run test:fast -- relabel`.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const fast = args.includes('--fast');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (f === 'fixtures' || f === 'helpers') continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (f.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files = walk('test').sort();
if (fast) files = files.filter((f) => !f.endsWith('.slow.test.ts'));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('test: no test files matched');
  process.exit(1);
}

const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
// The summary ("ℹ tests N") comes before the failure details, so keep the whole output (a few MB at most).
let out = '';
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  out += chunk.toString();
});
child.on('close', (code) => {
  const count = (name: string) => Number([...out.matchAll(new RegExp(`^ℹ ${name} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? NaN);
  const tests = count('tests');
  const pass = count('pass');
  const failed = count('fail');
  if (!(tests > 0) || !(pass > 0)) {
    console.error(`test: no test was executed (tests=${tests}, pass=${pass}); failing the run`);
    process.exit(1);
  }
  console.log(`\n${pass} passed, ${failed} failed, ${count('skipped')} skipped`);
  process.exit(code ?? 1);
});
