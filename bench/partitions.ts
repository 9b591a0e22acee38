/**
 * Partition distribution on a real Redis Cluster (issue 16, docs/performance.md).
 *
 *   npm run bench:partitions     (starts scripts/redis-cluster.sh, ROOM_PARTITIONS=48, stops it after)
 *
 * Through the handlers (the same code as the gateway, in process): USERS users
 * log in and each creates and enters a multi_room of its own (ids spread over
 * the partitions by their hash), then pusher_heartbeat runs for SECONDS at
 * CONCURRENCY. Each master's `INFO commandstats` is read before and after the
 * heartbeat phase: the per-master shares of the commands (every command but
 * the bench's own INFO/CLUSTER/PING) must each be within 10% of 1/M.
 *
 * The single-master ceiling is derived from the same run: heartbeats one
 * master served divided by the CPU seconds that master spent (INFO cpu,
 * used_cpu_sys + used_cpu_user): what one saturated Redis core carries.
 * M masters x that ceiling is the on-paper figure (the client side, network
 * and the gateway are not part of it).
 */
import Redis from 'ioredis';

const PORTS = (process.env.PARTITION_BENCH_PORTS ?? '7001,7002,7003').split(',').map(Number);
const USERS = Number(process.env.PARTITION_BENCH_USERS ?? 480);
const SECONDS = Number(process.env.PARTITION_BENCH_SECONDS ?? 15);
const CONCURRENCY = Number(process.env.PARTITION_BENCH_CONCURRENCY ?? 64);
const IGNORED = new Set(['info', 'cluster', 'ping', 'command', 'client', 'hello', 'select', 'readonly', 'script']);

interface MasterStats {
  port: number;
  calls: number;
  cpu: number;
  heartbeats: number;
}

async function masterStats(port: number): Promise<MasterStats> {
  const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  await node.connect();
  const stats = await node.info('commandstats');
  const cpu = await node.info('cpu');
  await node.quit();
  let calls = 0;
  let heartbeats = 0;
  for (const line of stats.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (!m) continue;
    const name = m[1]!.split('|')[0]!;
    if (IGNORED.has(name)) continue;
    calls += Number(m[2]);
    if (name === 'evalsha' || name === 'eval') heartbeats += Number(m[2]);
  }
  const num = (field: string) => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { port, calls, cpu: num('used_cpu_sys') + num('used_cpu_user'), heartbeats };
}

const allStats = () => Promise.all(PORTS.map(masterStats));

export async function runPartitions(): Promise<Record<string, unknown>> {
  const { Bed } = await import('./lib/bed');
  const { setLogSink } = await import('../shared/log');
  // Handlers still build every log line; the bench drops them instead of printing.
  setLogSink(() => undefined);
  const { roomPartitions } = await import('../shared/rooms/keys');
  const bed = (await Bed.open('partitions', { REDIS_CLUSTER: 'true', RATE_LIMIT_PER_USER_PER_MINUTE: '0', RATE_LIMIT_PER_IP_PER_MINUTE: '0' })).use();
  const users: Awaited<ReturnType<typeof bed.signIn>>[] = [];
  for (let i = 0; i < USERS; i++) users.push(await bed.signIn(`pu${i}`));
  const rooms = users.map((_, i) => `pr${i}`);
  for (let i = 0; i < USERS; i += 16) await Promise.all(users.slice(i, i + 16).map((u, j) => bed.join(u, 'multi_room', rooms[i + j]!)));

  const before = await allStats();
  const started = Date.now();
  let beats = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() - started < SECONDS * 1000) {
        const i = next++ % USERS;
        await bed.call(users[i]!, 'multi_room', 'pusher_heartbeat', { roomID: rooms[i] });
        beats++;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const after = await allStats();

  const deltas = after.map((a, k) => ({ port: a.port, calls: a.calls - before[k]!.calls, cpu: a.cpu - before[k]!.cpu, scripts: a.heartbeats - before[k]!.heartbeats }));
  const total = deltas.reduce((s, d) => s + d.calls, 0);
  const shares = deltas.map((d) => ({ ...d, share: d.calls / total }));
  const ideal = 1 / PORTS.length;
  const within = shares.every((s) => Math.abs(s.share - ideal) <= ideal * 0.1);
  // Beats one master served per CPU second it spent: one saturated master's heartbeats/s.
  const ceilings = shares.map((s) => (s.cpu > 0 ? s.scripts / s.cpu : 0));
  const ceiling = Math.min(...ceilings);
  const result = {
    partitions: roomPartitions(),
    masters: PORTS.length,
    heartbeatsPerSecond: Math.round(beats / elapsed),
    shares: shares.map((s) => ({ port: s.port, commands: s.calls, share: Number(s.share.toFixed(4)), cpuSeconds: Number(s.cpu.toFixed(2)), beatsPerCpuSecond: Math.round(s.scripts / Math.max(s.cpu, 1e-9)) })),
    withinTenPercent: within,
    singleMasterCeiling: Math.round(ceiling),
    onPaper: Object.fromEntries([3, 6, 12].map((m) => [`${m} masters`, Math.round(m * ceiling)])),
  };
  await bed.close();
  return result;
}

if (process.argv[1]?.endsWith('partitions.ts')) {
  runPartitions()
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(r.withinTenPercent ? 0 : 1);
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
