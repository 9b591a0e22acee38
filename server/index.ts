/**
 * The self-hosted server (`npm run serve`, docs/self-hosting.md): every route
 * of the router on Node's HTTP server, compiled to dist/server/index.js
 * (scripts/build-server.ts), for running the service on machines of your own
 * rather than on SCF.
 *
 * - WORKERS processes (default: one per CPU core, node:cluster) share PORT;
 *   each has its own Redis connection and answers requests through the same
 *   server core as the local gateway (shared/http/server.ts).
 * - The sweeper runs in one place only: the primary (or the single process
 *   when WORKERS=1), every SWEEP_INTERVAL_MS.
 * - SIGTERM/SIGINT: stop accepting, let requests in flight finish (at most
 *   SHUTDOWN_GRACE_MS), close Redis, write the last log lines, exit 0.
 * - Request log lines go to stdout in batches (shared/log.ts), one JSON line
 *   each, so `> file` keeps them.
 */
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { loadEndpoints, routeRequest } from '../functions/router';
import { loadHttpClient } from '../shared/cloud/transport';
import { ConfigError, loadConfig, type Config } from '../shared/config';
import { errorMessage } from '../shared/errors';
import { createServiceServer, startSweeper } from '../shared/http/server';
import { batchLogLines, log } from '../shared/log';
import { coalesceWrites } from '../shared/redis';
import { buildRuntime, installRuntime, type Runtime } from '../shared/runtime';

/** A worker tells the primary it listens (and where). */
interface Ready {
  ready: string;
}

/** Exit code when the configuration is refused (EX_CONFIG of sysexits.h): a supervisor should not restart on it. */
const EXIT_CONFIG = 78;

/** Writes what is waiting in stdout, then exits (process.exit alone may cut a pipe's last lines). */
function exitAfterFlush(code: number): void {
  batchLogLines(false);
  process.stdout.write('', () => process.exit(code));
}

/** Runs once for the first of SIGTERM / SIGINT (a terminal's Ctrl-C reaches every process of the group). */
function onStopSignal(stop: (signal: string) => void): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop(signal);
    });
  }
}

function startRuntime(config: Config): Runtime {
  const rt = buildRuntime(config);
  // Many requests at once: one write per event-loop turn to Redis, not one per command (shared/redis.ts).
  coalesceWrites(rt.redis);
  installRuntime(rt);
  return rt;
}

/** One serving process: a worker, or the whole server with WORKERS=1. Answers its URL. */
async function serve(config: Config, rt: Runtime, stopSweeper?: () => Promise<void>): Promise<string> {
  // A server that stays up loads at start what a function loads on first use: the HTTP client of
  // Tencent's APIs and webhooks, and every route's endpoint module (functions/router.ts ROUTES).
  loadHttpClient();
  await loadEndpoints();
  batchLogLines(true);
  const service = createServiceServer(routeRequest);
  const url = await service.listen(config.port, config.server.host);
  onStopSignal((signal) => {
    const started = performance.now();
    void (async () => {
      const dropped = await service.close(config.server.shutdownGraceMs);
      await stopSweeper?.();
      await rt.redis.quit().catch(() => undefined);
      log({ event: 'server_stopped', reason: signal, pid: process.pid, ms: Math.round(performance.now() - started), dropped });
      exitAfterFlush(0);
    })();
  });
  return url;
}

async function runSingle(config: Config): Promise<void> {
  const rt = startRuntime(config);
  const interval = config.server.sweepIntervalMs;
  const stopSweeper = interval > 0 ? startSweeper(rt, interval) : undefined;
  const url = await serve(config, rt, stopSweeper);
  log({ event: 'server_started', url, workers: 1, sweepIntervalMs: interval, pid: process.pid });
}

async function runWorker(config: Config): Promise<void> {
  const rt = startRuntime(config);
  const url = await serve(config, rt);
  process.send?.({ ready: url } satisfies Ready);
  // The primary is gone (killed): nothing would stop this worker otherwise.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

async function runPrimary(config: Config, count: number): Promise<void> {
  const rt = startRuntime(config);
  const interval = config.server.sweepIntervalMs;
  const stopSweeper = interval > 0 ? startSweeper(rt, interval) : undefined;
  let stopping = false;
  let started = false;
  let failures = 0;
  const ready = new Set<Worker>();

  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: Ready) => {
      if (typeof message?.ready !== 'string') return;
      ready.add(worker);
      if (started) log({ event: 'worker_started', pid: worker.process.pid, replacing: true });
      else if (ready.size === count) {
        started = true;
        log({ event: 'server_started', url: message.ready, workers: count, workerPids: [...ready].map((w) => w.process.pid), sweepIntervalMs: interval, pid: process.pid });
      }
    });
    worker.on('exit', (code, signal) => {
      const wasReady = ready.delete(worker);
      if (stopping) return;
      log({ event: 'worker_exited', pid: worker.process.pid, code, reason: signal });
      // One that never listened (port taken, Redis address refused) would fail again: stop instead of looping.
      if (!wasReady || ++failures > 10) {
        void stop(1);
        return;
      }
      fork();
    });
    return worker;
  };

  const stop = async (code: number) => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            // Past the workers' own bound, plus a margin: a worker that hangs is killed.
            const timer = setTimeout(() => worker.process.kill('SIGKILL'), config.server.shutdownGraceMs + 5000);
            worker.once('exit', (exitCode) => {
              clearTimeout(timer);
              if (exitCode !== 0) code = code || 1;
              resolve();
            });
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    await stopSweeper?.();
    await rt.redis.quit().catch(() => undefined);
    log({ event: 'server_stopped', pid: process.pid, workers: workers.length, code });
    exitAfterFlush(code);
  };

  onStopSignal(() => void stop(0));
  for (let i = 0; i < count; i++) fork();
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
    // Redis is required here: the embedded emulation is the local gateway's alone.
    if (!config.redisUrl) throw new ConfigError(['REDIS_URL is required (redis://[:password@]host:port)']);
  } catch (error) {
    process.stderr.write(`server: ${error instanceof ConfigError ? error.problems.join('; ') : errorMessage(error)}\n`);
    process.exit(EXIT_CONFIG);
  }
  const workers = config.server.workers || os.availableParallelism();
  if (cluster.isWorker) await runWorker(config);
  else if (workers <= 1) await runSingle(config);
  else await runPrimary(config, workers);
}

main().catch((error: unknown) => {
  process.stderr.write(`server failed to start: ${errorMessage(error)}\n`);
  process.exit(1);
});
