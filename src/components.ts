/** Every built-in component factory. Add a factory here to make its type usable in configs. */
import { Registry } from './component/registry.ts';
import { healthCheckFactory } from './extensions/healthcheck/extension.ts';
import { debugFactory } from './exporters/debug/exporter.ts';
import { batchFactory } from './processors/batch/processor.ts';

export function builtinRegistry(): Registry {
  return new Registry().register(healthCheckFactory, debugFactory, batchFactory);
}
