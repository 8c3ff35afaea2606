/**
 * `prometheusremotewrite` exporter hot path for one consume: translate + shard by series + RW encode + snappy, on the
 * 10k-series batch of remotewrite.ts ("cached" = points carrying a `prom` identity, as scraped data does; "OTLP" =
 * plain OTLP points). 5 shards = the default num_consumers; 1 shard shows the sharding overhead. Each run returns
 * the samples encoded. Goal (issue 5): encode + snappy >= 2M samples/s per core.
 */
import type { MicroBench } from '../harness.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/index.ts';
import { ShardedEncoder } from '../../src/exporters/prometheusremotewrite/batcher.ts';
import { batch } from './remotewrite.ts';

function bench(name: string, cached: boolean, shards: number, version: 1 | 2): MicroBench {
  return {
    name,
    items: 'samples',
    prepare() {
      const t = new PrometheusTranslator({ targetInfo: false, deltaToCumulative: true });
      const enc = new ShardedEncoder({ shards, version, maxBytes: 3_000_000, sendMetadata: false, relabel: undefined });
      const data = batch(cached);
      t.translate(data, enc);
      enc.finish();
      return () => {
        const n = t.translate(data, enc).samples;
        enc.finish();
        return n;
      };
    },
  };
}

const benches: MicroBench[] = [
  bench('prometheusremotewrite: translate + shard + RW1 encode + snappy, 10k series (prom identity), 5 shards', true, 5, 1),
  bench('prometheusremotewrite: translate + shard + RW1 encode + snappy, 10k series (prom identity), 1 shard', true, 1, 1),
  bench('prometheusremotewrite: translate + shard + RW1 encode + snappy, 10k series (OTLP points), 5 shards', false, 5, 1),
  bench('prometheusremotewrite: translate + shard + RW2 encode + snappy, 10k series (prom identity), 5 shards', true, 5, 2),
];
export default benches;
