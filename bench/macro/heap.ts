/**
 * Summarises a V8 `.heapsnapshot` (node --heapsnapshot-signal=SIGUSR2; `w1.ts --heap-snapshot` takes one of the
 * gateway at the end of its window): self size and count per (node type, constructor/name), largest first. Self
 * sizes only (no dominator tree): enough to say which kind of object holds the memory per active series.
 *
 *   npx node bench/macro/heap.ts <file.heapsnapshot> [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from '../load/common.ts';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] }; node_count: number };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  type: string;
  name: string;
  count: number;
  selfBytes: number;
}

export function heapGroups(file: string): { groups: HeapGroup[]; totalBytes: number } {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const stride = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const types = s.snapshot.meta.node_types[0];
  const groups = new Map<string, HeapGroup>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += stride) {
    const type = types[s.nodes[i + iType]!] ?? '?';
    // Strings are grouped as one (their names are their contents); other nodes by constructor/name.
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '' : (s.strings[s.nodes[i + iName]!] ?? '?');
    const size = s.nodes[i + iSize]!;
    total += size;
    const k = `${type}\u0000${name}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { type, name, count: 0, selfBytes: 0 }));
    g.count++;
    g.selfBytes += size;
  }
  return { groups: [...groups.values()].sort((a, b) => b.selfBytes - a.selfBytes), totalBytes: total };
}

function main(): void {
  const args = parseArgs();
  const file = process.argv[2];
  if (!file) throw new Error('usage: heap.ts <file.heapsnapshot> [--top 25]');
  const { groups, totalBytes } = heapGroups(file);
  console.log(`heap: ${(totalBytes / 2 ** 20).toFixed(1)} MiB in ${groups.reduce((a, g) => a + g.count, 0).toLocaleString('en')} objects\n`);
  for (const g of groups.slice(0, args.num('top', 25))) {
    console.log(`${(g.selfBytes / 2 ** 20).toFixed(1).padStart(8)} MiB ${String(g.count).padStart(10)}  ${g.type}${g.name ? ` ${g.name.slice(0, 80)}` : ''}`);
  }
}

if (import.meta.main) main();
