/** Every built-in component factory. Add a factory here to make its type usable in configs. */
import { Registry } from './component/registry.ts';
import { healthCheckFactory } from './extensions/healthcheck/extension.ts';
import { debugFactory } from './exporters/debug/exporter.ts';
import { batchFactory } from './processors/batch/processor.ts';
import { otlpReceiverFactory } from './receivers/otlp/receiver.ts';
import { bearerTokenAuthFactory } from './extensions/bearertokenauth/extension.ts';
import { basicAuthFactory } from './extensions/basicauth/extension.ts';
import { fileStorageFactory } from './extensions/filestorage/extension.ts';
import { otlpExporterFactory } from './exporters/otlp/exporter.ts';
import { otlpHttpExporterFactory } from './exporters/otlphttp/exporter.ts';
import { prometheusReceiverFactory } from './receivers/prometheus/factory.ts';
import { relabelFactory } from './processors/relabel/processor.ts';
import { filterFactory } from './processors/filter/processor.ts';
import { deltaToCumulativeFactory } from './processors/deltatocumulative/processor.ts';
import { memoryLimiterFactory } from './processors/memorylimiter/processor.ts';
import { aggregateFactory } from './processors/aggregate/processor.ts';
import { prometheusExporterFactory } from './exporters/prometheus/exporter.ts';
import { prwExporterFactory } from './exporters/prometheusremotewrite/exporter.ts';

export function builtinRegistry(): Registry {
  return new Registry().register(healthCheckFactory, debugFactory, batchFactory, otlpReceiverFactory, bearerTokenAuthFactory, basicAuthFactory, fileStorageFactory, otlpExporterFactory, otlpHttpExporterFactory, prometheusReceiverFactory, relabelFactory, filterFactory, deltaToCumulativeFactory, memoryLimiterFactory, aggregateFactory, prometheusExporterFactory, prwExporterFactory);
}
