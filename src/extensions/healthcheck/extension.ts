/**
 * The ops HTTP server (express), on the health_check extension's endpoint (default 0.0.0.0:13133, as the Collector):
 *   GET /healthz         liveness (200 while the process runs)
 *   GET /readyz          readiness: 200 once every pipeline started, 503 while starting, reloading or draining
 *   GET /                status page (HTML) for browsers; the Collector's health JSON for other clients
 *   GET /api/v1/status   the status page's data (pipelines, components, states, counters)
 *   GET /debug/config    effective config, secrets redacted
 *   + routes mounted by components (e.g. /api/v1/targets)
 */
import express from 'express';
import type { Server } from 'node:http';
import type { Component, CreateSettings, ExtensionFactory, Host } from '../../component/component.ts';
import type { ServiceHost } from '../../service/host.ts';
import { healthCheckSchema, splitHostPort, type HealthCheckConfig } from './config.ts';
import { STATUS_PAGE_HTML } from './status-page.ts';
import { boundAddress, closeHttpServer } from '../../util/net.ts';

class HealthCheckExtension implements Component {
  private server: Server | undefined;
  private readonly settings: CreateSettings;
  private readonly config: HealthCheckConfig;
  address: string | undefined;

  constructor(settings: CreateSettings, config: HealthCheckConfig) {
    this.settings = settings;
    this.config = config;
  }

  async start(host: Host): Promise<void> {
    const sh = host as ServiceHost;
    const src = sh.statusSource;
    const app = express();
    app.disable('x-powered-by');
    const health = (_req: express.Request, res: express.Response) => {
      const ok = src.ready();
      const body = ok ? this.config.response_body?.healthy : this.config.response_body?.unhealthy;
      res.status(ok ? 200 : 503);
      if (body !== undefined) res.type('text/plain').send(body);
      else res.json({ status: ok ? 'Server available' : 'Server not available', upSince: src.status()['startedAt'], uptime: `${src.status()['uptimeSeconds']}s` });
    };
    app.get('/healthz', (_req, res) => {
      res.status(src.live() ? 200 : 503).type('text/plain').send(src.live() ? 'ok\n' : 'stopped\n');
    });
    app.get('/readyz', (_req, res) => {
      const ready = src.ready();
      res.status(ready ? 200 : 503).type('text/plain').send(ready ? 'ready\n' : `not ready: ${String(src.status()['state'])}\n`);
    });
    app.get('/api/v1/status', (_req, res) => {
      res.json(src.status());
    });
    app.get('/debug/config', (_req, res) => {
      res.json(src.effectiveConfig());
    });
    app.get('/', (req, res, next) => {
      if (this.config.path === '/' && !req.accepts(['text/html'])) return health(req, res);
      if (req.accepts(['text/html'])) return void res.type('html').send(STATUS_PAGE_HTML);
      next();
    });
    if (this.config.path !== '/') app.get(this.config.path, health);
    app.use(sh.ops.router);
    app.use((_req, res) => {
      res.status(404).type('text/plain').send('not found; see / for the list of endpoints\n');
    });
    const { host: h, port } = splitHostPort(this.config.endpoint);
    this.server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(port, h);
      s.once('listening', () => resolve(s));
      s.once('error', (err) => reject(new Error(`cannot listen on ${this.config.endpoint}: ${err.message}`)));
    });
    this.address = boundAddress(this.server, this.config.endpoint);
    this.settings.logger.info({ endpoint: this.address }, 'ops server listening');
  }

  async shutdown(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await closeHttpServer(s);
  }

  status(): Record<string, unknown> {
    return { endpoint: this.address ?? this.config.endpoint };
  }
}

export const healthCheckFactory: ExtensionFactory<HealthCheckConfig> = {
  kind: 'extension',
  type: 'health_check',
  configSchema: healthCheckSchema,
  listenAddresses: (c) => [c.endpoint],
  create: (settings, config) => new HealthCheckExtension(settings, config),
};
