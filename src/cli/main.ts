#!/usr/bin/env node
/**
 * otel-bridge command line.
 *   otel-bridge [run] --config FILE [--config FILE ...]   start the gateway (files merged in order)
 *   otel-bridge validate --config FILE [...]               print OK or every error; exit 0/1
 *   otel-bridge components                                 list the component types
 *   otel-bridge --version | --help
 * Exit codes: 0 ok, 1 invalid config or start failure, 2 usage error.
 */
import './v8-flags.ts'; // first: V8 flags before any other module allocates
import { parseArgs } from 'node:util';
import { builtinRegistry } from '../components.ts';
import { ConfigError, formatIssue } from '../config/errors.ts';
import { loadAndValidate } from '../config/validate.ts';
import { effectiveTelemetry } from '../telemetry/config.ts';
import { createRootLogger } from '../telemetry/logger.ts';
import { Gateway } from '../service/gateway.ts';
import { VERSION } from '../version.ts';

const USAGE = `otel-bridge ${VERSION}: OpenTelemetry bridge gateway for metrics

usage:
  otel-bridge [run] --config FILE [--config FILE ...] [--shutdown-timeout 30s] [--no-watch]
  otel-bridge validate --config FILE [--config FILE ...]
  otel-bridge components
  otel-bridge --version | --help
`;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', multiple: true },
        'shutdown-timeout': { type: 'string' },
        'no-watch': { type: 'boolean' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) return void process.stdout.write(USAGE), 0;
  if (values.version) return void process.stdout.write(`otel-bridge ${VERSION}\n`), 0;
  const cmd = positionals[0] ?? 'run';
  const registry = builtinRegistry();
  if (cmd === 'components') {
    for (const kind of ['receiver', 'processor', 'exporter', 'extension'] as const) process.stdout.write(`${kind}s: ${registry.types(kind).join(', ')}\n`);
    return 0;
  }
  const files = values.config ?? [];
  if (files.length === 0) {
    process.stderr.write(`missing --config FILE\n\n${USAGE}`);
    return 2;
  }
  if (cmd === 'validate') {
    try {
      const cfg = loadAndValidate(files, registry);
      effectiveTelemetry(cfg.service.telemetry);
      process.stdout.write(`OK: ${files.join(', ')} (${cfg.service.pipelines.size} pipeline(s))\n`);
      return 0;
    } catch (err) {
      printConfigError(err);
      return 1;
    }
  }
  if (cmd !== 'run') {
    process.stderr.write(`unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
  return run(files, values['shutdown-timeout'], values['no-watch'] === true, registry);
}

function printConfigError(err: unknown): void {
  if (err instanceof ConfigError) {
    process.stderr.write(`invalid configuration (${err.issues.length} error${err.issues.length === 1 ? '' : 's'}):\n`);
    for (const i of err.issues) process.stderr.write(`  ${formatIssue(i)}\n`);
  } else process.stderr.write(`error: ${(err as Error).message}\n`);
}

async function run(files: string[], shutdownTimeout: string | undefined, noWatch: boolean, registry: ReturnType<typeof builtinRegistry>): Promise<number> {
  const logger = createRootLogger('info');
  const { parseDuration } = await import('../config/duration.ts');
  const timeoutMs = shutdownTimeout === undefined ? undefined : parseDuration(shutdownTimeout);
  const gw = new Gateway({ configFiles: files, registry, logger, watchFiles: !noWatch, ...(timeoutMs === undefined ? {} : { shutdownTimeoutMs: timeoutMs }) });
  try {
    await gw.start();
  } catch (err) {
    printConfigError(err);
    logger.error({ err: (err as Error).message }, 'otel-bridge failed to start');
    await gw.stop().catch(() => undefined);
    logger.flush();
    return 1;
  }
  // Scrape timers, the self-metrics server and the config watcher are unref'd; hold one referenced handle so a
  // pipeline of only such components (e.g. prometheus -> prometheusremotewrite) keeps the process running.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'draining and stopping');
      gw.stop().then(
        () => (clearInterval(keepAlive), resolve(0)),
        (err: unknown) => {
          clearInterval(keepAlive);
          logger.error({ err: (err as Error).message }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => void gw.reload('SIGHUP'));
    process.on('uncaughtException', (err) => logger.error({ err: err.message, stack: err.stack }, 'uncaught exception (gateway keeps running)'));
    process.on('unhandledRejection', (err) => logger.error({ err: String(err) }, 'unhandled rejection (gateway keeps running)'));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    if (code !== 0 || process.argv.includes('validate')) return;
    // Stopped after a signal: exit even if a library left a handle open.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    process.stderr.write(`fatal: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
