/**
 * The local gateway (`npm start`): serves `POST /weapp/{roomType}/{action}` and
 * `GET /weapp/utils/{action}` on the same server core as the self-hosted
 * server (shared/http/server.ts: the router's routes, straight from the
 * socket), and runs the sweeper on the timer trigger's period.
 *
 * A fresh machine needs nothing else: without REDIS_URL it uses an in-process
 * Redis emulation (ioredis-mock running the same Lua scripts, through the
 * adapter of emulated-redis.ts that makes it convert values like Redis), and without
 * cloud credentials it generates development keys and turns IM and live API
 * calls into logged no-ops. Production code never takes these paths: they
 * exist only here.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { loadConfig } from '../shared/config';
import { createServiceServer, startSweeper } from '../shared/http/server';
import { coalesceWrites } from '../shared/redis';
import { createOfflineImClient } from '../shared/im/offline';
import { createOfflineLiveApiClient } from '../shared/live/offline';
import { createOfflineTrtcClient } from '../shared/trtc/client';
import { batchLogLines, log } from '../shared/log';
import { shownUrl } from '../shared/events/webhooks';
import { loadHttpClient } from '../shared/cloud/transport';
import { buildRuntime, installRuntime, type Runtime } from '../shared/runtime';
import { loadEndpoints, routeRequest } from '../functions/router';
import { loadDotEnv } from './dotenv';
import { emulatedRedis } from './emulated-redis';
import { errorMessage } from '../shared/errors';

const IM_VARS = ['IM_SDK_APP_ID', 'IM_SECRET_KEY', 'IM_ADMINISTRATOR'] as const;
const LIVE_VARS = ['LIVE_APP_ID', 'LIVE_BIZID', 'LIVE_PUSH_SECRET_KEY'] as const;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Development stand-ins for unset credentials; keys are random per start, never fixed in the repo. */
function developmentEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; imOffline: boolean; liveOffline: boolean } {
  const unset = (name: string) => !env[name]?.trim();
  const imOffline = IM_VARS.some(unset);
  const liveOffline = LIVE_VARS.some(unset);
  const dev: Record<string, string> = {
    IM_SDK_APP_ID: '1400000000',
    IM_SECRET_KEY: hex(32),
    IM_ADMINISTRATOR: 'administrator',
    LIVE_APP_ID: '1250000000',
    LIVE_BIZID: '8888',
    LIVE_PUSH_SECRET_KEY: hex(16),
  };
  const filled = { ...env };
  for (const name of [...(imOffline ? IM_VARS : []), ...(liveOffline ? LIVE_VARS : [])]) if (unset(name)) filled[name] = dev[name];
  // So stream callbacks can be tried locally (printed at start, random per start).
  if (unset('LIVE_CALLBACK_KEY')) filled.LIVE_CALLBACK_KEY = hex(16);
  // Likewise TRTC room callbacks (POST /weapp/callbacks/trtc).
  if (unset('TRTC_CALLBACK_KEY')) filled.TRTC_CALLBACK_KEY = hex(16);
  // And the admin plane, so a first `npm start` shows the dashboard. Only here: a deployed
  // function never makes one up (without an operator-set ADMIN_API_KEY its /admin answers 404).
  if (unset('ADMIN_API_KEY')) filled.ADMIN_API_KEY = hex(24);
  return { env: filled, imOffline, liveOffline };
}

export interface Gateway {
  url: string;
  runtime: Runtime;
  server: Server;
  close(): Promise<void>;
}

export interface GatewayOptions {
  env?: NodeJS.ProcessEnv;
  port?: number;
  /** Sweeper period in ms (0 disables; default SWEEP_INTERVAL_MS); the timer trigger's period in the cloud. */
  sweepIntervalMs?: number;
  quiet?: boolean;
  runtime?: Runtime;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const { env, imOffline, liveOffline } = developmentEnv(options.env ?? process.env);
  const config = loadConfig(env);
  const cloudOffline = !config.cloud.credentials();
  const rt =
    options.runtime ??
    buildRuntime(config, {
      redis: config.redisUrl ? undefined : await emulatedRedis(),
      im: imOffline ? createOfflineImClient(log) : undefined,
      live: cloudOffline ? createOfflineLiveApiClient(log) : undefined,
      trtc: cloudOffline ? createOfflineTrtcClient(log) : undefined,
    });
  // Like the self-hosted server: a turn's Redis commands in one write (no-op on the embedded store).
  coalesceWrites(rt.redis);
  installRuntime(rt);
  // A server that stays up loads at start what a function loads on first use: the HTTP client of
  // Tencent's APIs and webhooks, and every route's endpoint module (functions/router.ts ROUTES).
  loadHttpClient();
  await loadEndpoints();

  // The same server core as `npm run serve` (shared/http/server.ts): this file adds only development defaults.
  const service = createServiceServer(routeRequest);
  const url = await service.listen(options.port ?? config.port, '127.0.0.1');
  const port = Number(new URL(url).port);

  const interval = options.sweepIntervalMs ?? config.server.sweepIntervalMs;
  const stopSweeper = interval > 0 ? startSweeper(rt, interval) : undefined;

  // Many requests at once: their log lines are written once per event-loop turn (shared/log.ts).
  batchLogLines(true);

  if (!options.quiet) {
    const lines = [
      `RoomService local gateway on http://127.0.0.1:${port}  (POST /weapp/{roomType}/{action}, GET /weapp/utils/{action}, POST /weapp/webrtc_room/{action}, POST /weapp/callbacks/live_stream|trtc|trtc_recording, GET /openapi.json; reference: docs/api.md)`,
      `  admin:   dashboard at http://127.0.0.1:${port}/admin/, API /admin/... with Authorization: Bearer <ADMIN_API_KEY> (docs/admin.md), metrics /admin/metrics (docs/metrics.md)`,
      `           ${env.ADMIN_API_KEY === (options.env ?? process.env).ADMIN_API_KEY ? 'ADMIN_API_KEY as set' : `development ADMIN_API_KEY ${config.adminApiKey} (random per start; set ADMIN_API_KEY to keep one)`}`,
      `  store:   ${config.redisUrl ? `Redis at ${config.redisUrl.replace(/\/\/[^@]*@/, '//***@')}` : 'in-process Redis emulation (ioredis-mock); set REDIS_URL for a real Redis'}`,
      `  IM:      ${imOffline ? `simulated (no ${IM_VARS.join('/')}): calls are logged no-ops, development key generated` : `${config.im.apiBaseUrl} as ${config.im.administrator}`}`,
      `  live:    ${liveOffline ? `development bizid ${config.live.bizid} and keys generated (no ${LIVE_VARS.join('/')})` : `bizid ${config.live.bizid}`}; cloud API ${cloudOffline ? 'simulated (no CLOUD_API_SECRET_ID/KEY): calls are logged no-ops' : (config.cloud.baseUrl ?? 'public endpoints')}`,
      `  stream callbacks: ${env.LIVE_CALLBACK_KEY === (options.env ?? process.env).LIVE_CALLBACK_KEY ? 'LIVE_CALLBACK_KEY as set' : `development LIVE_CALLBACK_KEY ${config.live.callbackKey}`}`,
      `  TRTC callbacks: ${env.TRTC_CALLBACK_KEY === (options.env ?? process.env).TRTC_CALLBACK_KEY ? 'TRTC_CALLBACK_KEY as set' : `development TRTC_CALLBACK_KEY ${config.trtc.callbackKey}`}`,
      `  sweeper: ${interval > 0 ? `every ${interval} ms` : 'off'}; auth mode: ${config.authMode}`,
      `  events:  room event log kept (at most ${config.eventLog.maxLength} events); webhooks ${config.webhooks.urls.length > 0 ? `to ${config.webhooks.urls.map(shownUrl).join(', ')}` : 'off (set WEBHOOK_URL and WEBHOOK_SECRET)'}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }

  return {
    url,
    runtime: rt,
    server: service.server,
    async close() {
      await stopSweeper?.();
      batchLogLines(false);
      await service.close(0);
      installRuntime(undefined);
      await rt.redis.quit().catch(() => undefined);
    },
  };
}

if (require.main === module) {
  // .env first (the shell wins over it), so SWEEP_INTERVAL_MS and every setting can live there.
  if (loadDotEnv()) process.stdout.write('read .env (variables set in the shell win)\n');
  startGateway().catch((error: unknown) => {
    process.stderr.write(`gateway failed to start: ${errorMessage(error)}\n`);
    process.exit(1);
  });
}
