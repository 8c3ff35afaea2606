/**
 * HELP unescaping per format (BaseParser.help): text 0.0.4 replaces only `\\` and `\n` (promparse's helpReplacer,
 * `\"` stays as written), OpenMetrics also `\"`; unknown sequences are kept; HELP without a backslash is returned as
 * is. Whole-input and streamed parsers agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryType, createParser } from '../../src/codec/promtext/index.ts';
import type { Format } from '../../src/codec/promtext/index.ts';

const RAW = String.raw`a \\ b \n c \" d \x e`;

function helps(format: Format, body: string, streamed: boolean): string[] {
  const bytes = Buffer.from(body);
  const p = streamed ? createParser(format) : createParser(format, bytes);
  if (streamed) {
    for (let i = 0; i < bytes.length; i += 7) p.write(bytes.subarray(i, i + 7));
    p.end();
  }
  const out: string[] = [];
  for (let t = p.next(); t !== EntryType.EOF; t = p.next()) if (t === EntryType.Help) out.push(p.help());
  return out;
}

for (const streamed of [false, true]) {
  const how = streamed ? 'streamed' : 'whole input';
  test(`text 0.0.4 HELP keeps \\" and unescapes \\\\ and \\n (${how})`, () => {
    const body = `# HELP m ${RAW}\n# TYPE m gauge\nm 1\n# HELP plain Plain text.\nplain 2\n`;
    assert.deepEqual(helps('text', body, streamed), ['a \\ b \n c \\" d \\x e', 'Plain text.']);
  });
  test(`OpenMetrics HELP unescapes \\", \\\\ and \\n (${how})`, () => {
    const body = `# HELP m ${RAW}\n# TYPE m gauge\nm 1\n# HELP plain Plain text.\nplain 2\n# EOF\n`;
    assert.deepEqual(helps('openmetrics', body, streamed), ['a \\ b \n c " d \\x e', 'Plain text.']);
  });
}
