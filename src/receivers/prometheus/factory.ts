/**
 * `prometheus` receiver factory (Collector type name): scrapes targets with a Prometheus 2.42 scrape configuration
 * under `config:` (global + scrape_configs), see config.ts for every option and receiver.ts for the component.
 */
import type { ReceiverFactory } from '../../component/component.ts';
import { prometheusReceiverSchema, type PrometheusReceiverConfig } from './config.ts';
import { PrometheusReceiver } from './receiver.ts';

export const prometheusReceiverFactory: ReceiverFactory<PrometheusReceiverConfig> = {
  kind: 'receiver',
  type: 'prometheus',
  configSchema: prometheusReceiverSchema as never,
  create: (settings, config, next) => new PrometheusReceiver(settings, config, next),
};
