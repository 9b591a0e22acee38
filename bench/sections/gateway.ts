/**
 * The local gateway (scripts/gateway.ts) under autocannon: 64 keep-alive
 * connections on the heartbeat route, each connection one seated pusher. The
 * gateway runs in a child process on its own event loop, against real Redis;
 * every answer is checked for code 0 (business errors are HTTP 200).
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { Bed } from '../lib/bed';
import { round } from '../lib/stats';
import { CALLERS, seatUsers } from './heartbeat';

export interface GatewayResult {
  connections: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  total: number;
  errors: number;
  non2xx: number;
  wrongAnswers: number;
}

export async function runGateway(bed: Bed, options: { warmSeconds: number; seconds: number; profileDir?: string }): Promise<GatewayResult> {
  const seated = await seatUsers(bed, 'gw');
  const child = fork(path.join(__dirname, '..', 'gateway-child.ts'), [], {
    env: { ...process.env, BENCH_GATEWAY_ENV: JSON.stringify(bed.env) },
    // --profile-gateway=<dir>: a CPU profile of the gateway process (see bench/profile-summary.ts).
    execArgv: [...process.execArgv, ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [])],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('gateway did not start within 30 s')), 30_000);
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve((message as { url: string }).url);
      });
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    });
    let next = 0;
    const setupClient = (client: autocannon.Client) => {
      const { user, roomID } = seated[next++ % seated.length]!;
      // setRequests, not setRequest: the latter changes only the first request of the connection.
      client.setRequests([
        {
          method: 'POST',
          path: `/weapp/multi_room/pusher_heartbeat?userID=${encodeURIComponent(user.userId)}&token=${encodeURIComponent(user.token)}`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userID: user.userId, roomID }),
        },
      ]);
    };
    const verifyBody = (body: string) => body.startsWith('{"code":0,');
    const common = { url, connections: CALLERS, setupClient, verifyBody };
    await autocannon({ ...common, duration: options.warmSeconds });
    next = 0;
    const result = await autocannon({ ...common, duration: options.seconds });
    return {
      connections: CALLERS,
      durationSeconds: result.duration,
      requestsPerSecond: round(result.requests.total / result.duration, 0),
      latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      total: result.requests.total,
      errors: result.errors,
      non2xx: result.non2xx,
      wrongAnswers: result.mismatches,
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
