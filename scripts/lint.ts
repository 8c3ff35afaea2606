/**
 * `npm run lint`: eslint over src, test, bench, scripts, then the house checks eslint cannot express:
 * source files under 500 lines (split by concern beyond that), and every conformance fixture folder documents
 * its source (SOURCE.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

let failed = false;
try {
  execFileSync(process.execPath, ['node_modules/eslint/bin/eslint.js', '--max-warnings=0', 'src', 'test', 'bench', 'scripts'], { stdio: 'inherit' });
} catch {
  failed = true;
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

for (const f of walk('src').filter((p) => p.endsWith('.ts'))) {
  const lines = readFileSync(f, 'utf8').split('\n').length;
  if (lines > 500) {
    console.error(`${f}: ${lines} lines; split it by concern (limit 500)`);
    failed = true;
  }
}
for (const d of existsSync('test/fixtures') ? readdirSync('test/fixtures') : []) {
  const p = join('test/fixtures', d);
  if (statSync(p).isDirectory() && !existsSync(join(p, 'SOURCE.md'))) {
    console.error(`${p}: fixture folder without SOURCE.md (say where the data comes from)`);
    failed = true;
  }
}
if (failed) process.exit(1);
console.log('lint: clean');
