/**
 * What the service offers its components at start: extensions by id, and the ops HTTP routes (mounted by
 * components such as the prometheus receiver's targets API, served by the health_check extension).
 */
import express, { type RequestHandler, type Router } from 'express';
import type { Component, Host, OpsRegistry } from '../component/component.ts';

export interface StatusSource {
  /** Process is up (liveness). */
  live(): boolean;
  /** Every pipeline started and not draining (readiness). */
  ready(): boolean;
  /** JSON for the status page. */
  status(): Record<string, unknown>;
  /** Effective config with secrets redacted. */
  effectiveConfig(): unknown;
}

export class OpsRoutes implements OpsRegistry {
  readonly router: Router = express.Router();
  readonly mounted: string[] = [];
  mount(path: string, handler: RequestHandler | Router): void {
    this.router.use(path, handler);
    this.mounted.push(path);
  }
}

export class ServiceHost implements Host {
  readonly ops: OpsRoutes;
  readonly statusSource: StatusSource;
  private readonly extensions: Map<string, Component>;

  constructor(extensions: Map<string, Component>, ops: OpsRoutes, statusSource: StatusSource) {
    this.extensions = extensions;
    this.ops = ops;
    this.statusSource = statusSource;
  }

  getExtension(id: string): Component | undefined {
    return this.extensions.get(id);
  }
}
