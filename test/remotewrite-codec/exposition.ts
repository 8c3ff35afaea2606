/**
 * Test-only: a minimal Prometheus text-exposition reader that replays the compliance suite's scrape bodies straight
 * into a PromSink (as a scraping sender would), adding the harness' job/instance target labels. It covers what the
 * rw2_sender_cases scrape bodies use (TYPE/HELP/UNIT, labels with escapes, values incl. StaleNaN/±Inf/NaN,
 * optional timestamps, OpenMetrics exemplars); it is not the project's parser.
 */
import type { Label } from '../../src/model/types.ts';
import type { FamilyType, PromExemplar, PromSink, SeriesRef } from '../../src/translate/prometheus/types.ts';
import { SeriesKind } from '../../src/translate/prometheus/types.ts';
import { STALE_NAN } from '../../src/translate/prometheus/values.ts';

export const SCRAPE_MS = 1_700_000_000_000;
export const TARGET = { job: 'test', instance: 'target:9090' };

function parseLabels(s: string): { labels: Label[]; rest: string } {
  const labels: Label[] = [];
  let i = 1; // after '{'
  while (s[i] !== '}') {
    if (s[i] === ',' || s[i] === ' ') {
      i++;
      continue;
    }
    const eq = s.indexOf('=', i);
    const name = s.slice(i, eq).trim();
    i = eq + 2; // skip ="
    let value = '';
    while (s[i] !== '"') {
      if (s[i] === '\\') {
        const n = s[i + 1];
        value += n === 'n' ? '\n' : n;
        i += 2;
      } else value += s[i++];
    }
    i++;
    labels.push({ name, value });
  }
  return { labels, rest: s.slice(i + 1) };
}

function parseValue(v: string): number {
  if (v === 'StaleNaN') return STALE_NAN;
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  return Number(v);
}

const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

export function replay(body: string, sink: PromSink): number {
  const types = new Map<string, FamilyType>();
  const helps = new Map<string, string>();
  const units = new Map<string, string>();
  let current = '';
  let n = 0;
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const meta = /^# (TYPE|HELP|UNIT) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, what, name, text] = meta as unknown as [string, string, string, string];
      if (what === 'TYPE') types.set(name, (text === 'untyped' ? 'unknown' : text) as FamilyType);
      else if (what === 'HELP') helps.set(name, text.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      else units.set(name, text);
      continue;
    }
    if (line.startsWith('#')) continue;
    const brace = line.search(/[{ ]/);
    const name = line.slice(0, brace);
    let labels: Label[] = [];
    let rest = line.slice(brace);
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest));
    let exemplar: PromExemplar | undefined;
    const hash = rest.indexOf('# {');
    if (hash >= 0) {
      const ex = parseLabels(rest.slice(hash + 2));
      const [v, ts] = ex.rest.trim().split(/\s+/);
      exemplar = { labels: ex.labels.sort((a, b) => (a.name < b.name ? -1 : 1)), value: Number(v), timestampMs: ts ? Math.round(Number(ts) * 1000) : 0 };
      rest = rest.slice(0, hash);
    }
    const [v, ts] = rest.trim().split(/\s+/) as [string, string | undefined];
    let family = name;
    let type = types.get(name);
    for (const suf of SUFFIXES) {
      if (type === undefined && name.endsWith(suf) && types.has(name.slice(0, -suf.length))) {
        family = name.slice(0, -suf.length);
        type = types.get(family);
      }
    }
    type ??= 'unknown';
    if (family !== current) {
      sink.family(family, type, helps.get(family) ?? '', units.get(family) ?? '');
      current = family;
    }
    let kind: SeriesKind = type === 'counter' ? SeriesKind.COUNTER : SeriesKind.GAUGE;
    if (type === 'histogram') kind = name.endsWith('_bucket') ? SeriesKind.BUCKET : name.endsWith('_sum') ? SeriesKind.SUM : SeriesKind.COUNT;
    if (type === 'summary') kind = name.endsWith('_sum') ? SeriesKind.SUM : name.endsWith('_count') ? SeriesKind.COUNT : SeriesKind.QUANTILE;
    // As a scraper: empty label values mean "no label"; target labels added; sorted.
    const all = labels.filter((l) => l.value !== '');
    for (const [k, val] of Object.entries(TARGET)) if (!all.some((l) => l.name === k)) all.push({ name: k, value: val });
    all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const ref: SeriesRef = { name, labels: all };
    sink.series(ref, parseValue(v), ts === undefined ? SCRAPE_MS : Number(ts), kind, 0, exemplar && [exemplar]);
    n++;
  }
  return n;
}
