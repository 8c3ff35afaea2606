/**
 * V8 tuning for the gateway's allocation pattern. Imported first by main.ts, so it runs before any other module.
 *
 * Allocation-site pretenuring is off: V8 starts allocating an object literal site directly in the old generation once
 * most of its objects survive a young-generation GC. A scrape's or a request's data points are alive from parse until
 * the exporters have encoded them, so a scavenge that lands in that window marks their sites "long-lived"; from then
 * on every point of every batch went to the old generation and was collected there (W1: old space grew ~6 MB/s between
 * full GCs, peak RSS ~600-700 MiB). With it off, those points die young (peak RSS ~470 MiB; see README Performance).
 * An explicit `--allocation-site-pretenuring` on the command line wins.
 */
import { setFlagsFromString } from 'node:v8';

if (!process.execArgv.some((a) => a.includes('allocation-site-pretenuring') || a.includes('allocation_site_pretenuring'))) {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
