/**
 * The local gateway (scripts/gateway.ts) over HTTP. The gateway runs in a
 * child process on its own event loop, against real Redis. Its 64 pushers
 * sign in and take their seats through the typed client (client/), as an
 * application would; then the heartbeat route is measured twice: under
 * autocannon (64 keep-alive connections, each one seated pusher; every answer
 * checked for code 0) and from the typed client itself (64 callers, each its
 * own RoomServiceClient, in a closed loop), so the client's own cost shows.
 */
import { fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { RoomServiceClient } from '../../client';
import { Bed, pushUrlFor } from '../lib/bed';
import { closedLoop, percentile, round } from '../lib/stats';
import { CALLERS, ROOMS } from './heartbeat';

export interface GatewayResult {
  connections: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  total: number;
  errors: number;
  non2xx: number;
  wrongAnswers: number;
  /** The same route driven by the typed client: 64 callers, closed loop. */
  typedClient: { requestsPerSecond: number; latencyMs: { p50: number; p99: number }; wrongAnswers: number };
}

/** 64 pushers, four per room, signed in and seated through the typed client. */
async function seatThroughClient(url: string): Promise<{ api: RoomServiceClient; roomID: string }[]> {
  const seated: { api: RoomServiceClient; roomID: string }[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const roomID = `gw_room_${r}`;
    for (let s = 0; s < 4; s++) {
      const userID = `gw_u${r}_${s}`;
      const api = new RoomServiceClient({ baseUrl: url });
      const info = await api.getLoginInfo({ userID });
      await api.login('multi_room', { sdkAppID: info.sdkAppID, userID, userSig: info.userSig });
      await api.addPusher('multi_room', { roomID, userName: `User ${userID}`, pushURL: pushUrlFor(userID), roomInfo: `bench room ${roomID}` });
      seated.push({ api, roomID });
    }
  }
  return seated;
}

export async function runGateway(
  bed: Bed,
  options: { warmSeconds: number; seconds: number; profileDir?: string; typedClient?: boolean; logFile?: string },
): Promise<GatewayResult> {
  // The gateway's request log lines go to /dev/null, or to a real file (the log-cost figure).
  const logFd = options.logFile ? openSync(options.logFile, 'w') : undefined;
  const child = fork(path.join(__dirname, '..', 'gateway-child.ts'), [], {
    env: { ...process.env, BENCH_GATEWAY_ENV: JSON.stringify(bed.env) },
    // --profile-gateway=<dir>: a CPU profile of the gateway process (see bench/profile-summary.ts).
    execArgv: [...process.execArgv, ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [])],
    stdio: ['ignore', logFd ?? 'ignore', 'inherit', 'ipc'],
  });
  if (logFd !== undefined) closeSync(logFd);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('gateway did not start within 30 s')), 30_000);
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve((message as { url: string }).url);
      });
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    });
    const seated = await seatThroughClient(url);
    let next = 0;
    const setupClient = (client: autocannon.Client) => {
      const { api, roomID } = seated[next++ % seated.length]!;
      const { userID, token } = api.session!;
      // setRequests, not setRequest: the latter changes only the first request of the connection.
      client.setRequests([
        {
          method: 'POST',
          path: `/weapp/multi_room/pusher_heartbeat?userID=${encodeURIComponent(userID)}&token=${encodeURIComponent(token)}`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userID, roomID }),
        },
      ]);
    };
    const verifyBody = (body: string) => body.startsWith('{"code":0,');
    const common = { url, connections: CALLERS, setupClient, verifyBody };
    await autocannon({ ...common, duration: options.warmSeconds });
    next = 0;
    const result = await autocannon({ ...common, duration: options.seconds });

    const latencies: number[] = [];
    const typedClient = { requestsPerSecond: 0, latencyMs: { p50: 0, p99: 0 }, wrongAnswers: 0 };
    const beat = async (caller: number) => {
      const { api, roomID } = seated[caller % seated.length]!;
      const started = performance.now();
      const ok = await api.pusherHeartbeat('multi_room', { roomID }).then(() => true, () => false);
      latencies.push(performance.now() - started);
      return ok;
    };
    if (options.typedClient !== false) {
      await closedLoop(CALLERS, beat, 0, options.warmSeconds * 1000);
      latencies.length = 0;
      const typed = await closedLoop(CALLERS, beat, 0, options.seconds * 1000);
      typedClient.requestsPerSecond = round(typed.perSecond, 0);
      typedClient.latencyMs = { p50: round(percentile(latencies, 50), 1), p99: round(percentile(latencies, 99), 1) };
      typedClient.wrongAnswers = typed.failed;
    }
    return {
      connections: CALLERS,
      durationSeconds: result.duration,
      requestsPerSecond: round(result.requests.total / result.duration, 0),
      latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      total: result.requests.total,
      errors: result.errors,
      non2xx: result.non2xx,
      wrongAnswers: result.mismatches,
      typedClient,
    };
  } finally {
    if (child.connected) child.send('stop');
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
