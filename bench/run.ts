/**
 * `npm run bench`: performance figures of RoomService measured in one run on
 * the real Redis at REDIS_URL (default redis://127.0.0.1:6379). Every figure
 * is a ratio or a scaling factor taken inside this run, so it compares across
 * machines better than absolute numbers. Prints a table and writes
 * bench/results.json. All keys live under one fresh prefix and are deleted at
 * the end.
 *
 *   npm run bench                       all sections (~3 min on 2 cores)
 *   npm run bench -- --only=heartbeat   some sections: heartbeat, metrics, roundtrips,
 *                                       scriptcpu, costs, list, sweep, memory, bundles, gateway, sidebyside, webhooks, partitions
 *                                       (sidebyside: the compiled server against the 2018 one, when its code
 *                                       is at hand: OLD_ROOMSERVICE_DIR or the fetch tool's mirror)
 *                                       (partitions: a throwaway 3-master cluster on 7001-7003,
 *                                       scripts/bench-partitions.sh, ROOM_PARTITIONS=48)
 *   npm run bench -- --quick            shorter windows, fewer repeats
 *   npm run bench -- --profile-gateway=/tmp/gw   CPU profile of the gateway process
 *   node --cpu-prof --import tsx bench/run.ts --only=heartbeat   profile the in-process part
 *   npx tsx bench/profile-summary.ts <file.cpuprofile>            read a profile
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setLogSink } from '../shared/log';
import { installRuntime } from '../shared/runtime';
import { adminClient, Bed, closeAdmin, closeFakeCloud, deleteByPrefix, REDIS_URL, RUN_PREFIX } from './lib/bed';
import { median, round } from './lib/stats';
import { runBundles, type BundleResult } from './sections/bundles';
import { runScriptCpu, type ScriptCpuResult } from './sections/script-cpu';
import { costRows, costsBlock, runCosts, writeCostsBlock, COSTS_FILE, type CostsResult } from './sections/costs';
import { FIGURE_FILES, figuresBlock, writeFigures } from './sections/figures';
import { runGateway, type GatewayResult } from './sections/gateway';
import { runSideBySide, type SideBySideResult } from './sections/side-by-side';
import { runHeartbeat, type HeartbeatResult } from './sections/heartbeat';
import { runMetricsCost, type MetricsCostResult } from './sections/metrics';
import { CLIENT_STAGE } from './lib/heartbeat-stages';
import { indexEntryBytes, runMemory, type MemoryResult } from './sections/memory';
import { runRoundTrips, type TripRow } from './sections/roundtrips';
import { runWebhooks, type WebhookResult } from './sections/webhooks';
import { BIG, DUE, LIST_SMALL, populate, runAdminList, runList, runSweep, SWEEP_SMALL, type AdminListResult, type ListResult, type ScaleBeds, type SweepResult } from './sections/scale';
import { errorMessage } from '../shared/errors';

const SECTIONS = ['heartbeat', 'metrics', 'scriptcpu', 'costs', 'roundtrips', 'list', 'sweep', 'memory', 'bundles', 'gateway', 'sidebyside', 'webhooks', 'partitions'] as const;
type Section = (typeof SECTIONS)[number];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const gatewayProfileDir = argv.find((a) => a.startsWith('--profile-gateway='))?.slice('--profile-gateway='.length);
const only = new Set<Section>(onlyArg ? (onlyArg.split(',') as Section[]) : SECTIONS);
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; use ${SECTIONS.join(', ')}`);

const settings = quick
  ? { hb: { reps: 3, warmMs: 300, measureMs: 1200 }, costs: { calls: 500, cpuCalls: 2000 }, list: { samples: 100, warm: 20 }, sweep: { reps: 5 }, gw: { warmSeconds: 1, seconds: 4 }, sbs: { warmSeconds: 1, seconds: 4, rounds: 2, connections: 64 }, wh: { users: 16, seconds: 4 } }
  : { hb: { reps: 8, warmMs: 300, measureMs: 2000 }, costs: { calls: 3000, cpuCalls: 10_000 }, list: { samples: 400, warm: 40 }, sweep: { reps: 15 }, gw: { warmSeconds: 2, seconds: 10 }, sbs: { warmSeconds: 2, seconds: 10, rounds: 4, connections: 64 }, wh: { users: 32, seconds: 10 } };

const progress = (text: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${text}\n`);
const t0 = performance.now();

interface Row {
  figure: string;
  measured: string;
  target: string;
  verdict: 'pass' | 'MISS' | 'report' | 'n/a' | 'error';
}

function table(rows: Row[]): string {
  const head: Row = { figure: 'figure', measured: 'measured', target: 'target', verdict: 'report' };
  const widths = (['figure', 'measured', 'target'] as const).map((k) => Math.max(...[head, ...rows].map((r) => r[k].length)));
  const line = (r: Row, verdict: string) =>
    `| ${r.figure.padEnd(widths[0]!)} | ${r.measured.padEnd(widths[1]!)} | ${r.target.padEnd(widths[2]!)} | ${verdict.padEnd(7)} |`;
  return [line(head, 'verdict'), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|---------|`, ...rows.map((r) => line(r, r.verdict))].join('\n');
}

async function main(): Promise<void> {
  // Handlers still build every log line; the bench only drops them instead of printing.
  let logLines = 0;
  setLogSink(() => {
    logLines++;
  });
  const admin = adminClient();
  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? 'unknown';
  progress(`prefix ${RUN_PREFIX}:*, Redis ${redisVersion} at ${REDIS_URL.replace(/\/\/[^@]*@/, '//***@')}, ${os.cpus().length} CPUs${quick ? ', quick mode' : ''}`);

  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const beds: Bed[] = [];
  const open = async (name: string) => {
    const bed = await Bed.open(name);
    beds.push(bed);
    return bed;
  };
  const attempt = async (section: Section | 'populate', work: () => Promise<void>) => {
    if (section !== 'populate' && !only.has(section)) return;
    progress(`${section} ...`);
    const started = performance.now();
    try {
      await work();
    } catch (error) {
      errors[section] = error instanceof Error ? (error.stack ?? error.message) : String(error);
      progress(`${section} FAILED: ${errors[section]}`);
      rows.push({ figure: section, measured: `error: ${errorMessage(error).split('\n')[0]!.slice(0, 80)}`, target: '', verdict: 'error' });
    }
    progress(`${section} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };

  try {
    await attempt('heartbeat', async () => {
      const hb: HeartbeatResult = await runHeartbeat(await open('hb'), settings.hb);
      results.heartbeat = hb;
      rows.push({
        figure: 'heartbeat handler / raw EVALSHA (64 callers)',
        measured: `${hb.ratio.toFixed(3)} (${hb.handlerMedian} vs ${hb.rawMedian} req/s; ratios ${Math.min(...hb.ratios).toFixed(2)}-${Math.max(...hb.ratios).toFixed(2)}${hb.failed ? `; ${hb.failed} wrong answers` : ''})`,
        target: '>= 0.6',
        verdict: hb.failed > 0 ? 'error' : hb.ratio >= 0.6 ? 'pass' : 'MISS',
      });
      rows.push({
        figure: 'heartbeat handler per room type (64 callers, req/s; ratio to raw EVALSHA)',
        measured: Object.entries(hb.byRoomType)
          .map(([type, t]) => `${type} ${t.perSecond} (${t.ratioToRaw.toFixed(2)})`)
          .join(', '),
        target: 'report',
        verdict: 'report',
      });
    });

    await attempt('scriptcpu', async () => {
      const cpu: ScriptCpuResult = await runScriptCpu();
      results.scriptcpu = cpu;
      const worst = Math.max(...Object.values(cpu.heartbeatUs));
      const perType = <T>(values: Partial<Record<string, T>>, show: (value: T) => string) =>
        Object.entries(values).map(([type, value]) => `${type} ${show(value as T)}`).join(', ');
      rows.push({
        figure: "Redis CPU per heartbeat, Redis busy (the handlers' own EVALSHA commands replayed, 16 in flight; usec/call, private redis-server, median of 5 windows)",
        measured:
          cpu.status === 'ok'
            ? `${perType(cpu.heartbeatUs, String)} us (windows ${perType(cpu.heartbeatWindowsUs, (w) => `${Math.min(...w)}-${Math.max(...w)}`)}); floors: empty script ${cpu.emptyScriptUs}, one ZADD ${cpu.oneCommandScriptUs} us; 1-min load ${os.loadavg()[0]!.toFixed(1)}`
            : cpu.note,
        target: '<= 10 us',
        verdict: cpu.status !== 'ok' ? 'n/a' : worst <= 10 ? 'pass' : 'MISS',
      });
      if (cpu.status === 'ok') {
        rows.push({
          figure: "the sweeper's share per heartbeat (a room comes due once per timeout: Redis usec per visit / beats per visit at 7 s beats)",
          measured: `${perType(cpu.sweeper, (s) => `${s.perBeatUs} (${s.visitUs} us / ${s.beatsPerVisit})`)} us; heartbeat + share: ${perType(cpu.heartbeatUs, (us) => String(us))} us + the above`,
          target: 'report',
          verdict: 'report',
        });
        rows.push({
          figure: 'Redis CPU per heartbeat while the handlers here drive it (Redis idles between calls, sharing 2 cores with Node)',
          measured: `${perType(cpu.throughHandlersUs, String)} us per EVALSHA`,
          target: 'report',
          verdict: 'report',
        });
        rows.push({
          figure: 'Redis process CPU per heartbeat request (INFO cpu user + sys: network I/O and parsing too)',
          measured: `${perType(cpu.processCpuUs, String)} us`,
          target: 'report',
          verdict: 'report',
        });
      }
      rows.push({
        figure: 'Redis instructions per heartbeat request (callgrind, private redis-server)',
        measured: cpu.heartbeatInstructions ? perType(cpu.heartbeatInstructions, String) : 'no valgrind: not counted',
        target: 'report',
        verdict: 'report',
      });
    });

    await attempt('costs', async () => {
      const costs: CostsResult = await runCosts(await open('cost'), settings.costs);
      results.costs = costs;
      rows.push(...costRows(costs));
      if (!quick) {
        // docs/costs.md quotes the figures of the last full run (a --quick run leaves the page alone).
        const written = writeCostsBlock(costsBlock(costs, { date: new Date().toISOString().slice(0, 10), node: process.version, cpus: os.cpus().length, load: os.loadavg()[0]! }));
        progress(written ? `cost figures written to ${COSTS_FILE}` : `costs: no markers in ${COSTS_FILE}`);
      }
    });

    await attempt('metrics', async () => {
      const mc: MetricsCostResult = await runMetricsCost(await open('mc'), settings.hb);
      results.metrics = mc;
      rows.push({
        figure: 'heartbeat handler, metrics on / off (64 callers, alternating windows)',
        measured: `${mc.ratio.toFixed(3)} (${median(mc.onPerSecond)} vs ${median(mc.offPerSecond)} req/s; ratios ${Math.min(...mc.ratios).toFixed(2)}-${Math.max(...mc.ratios).toFixed(2)})`,
        target: '>= 0.95',
        verdict: mc.ratio >= 0.95 ? 'pass' : 'MISS',
      });
      rows.push({
        figure: 'metrics memory: busiest minute hash / running totals (MEMORY USAGE, mixed workload)',
        measured: `${mc.minuteBytes.toLocaleString('en')} B (${mc.minuteFields} fields) / ${mc.totalBytes.toLocaleString('en')} B (${mc.totalFields} fields); 48 h of such minutes: ${(mc.boundBytesPerPartition / 1e6).toFixed(1)} MB per partition`,
        target: 'report',
        verdict: 'report',
      });
    });

    await attempt('roundtrips', async () => {
      const trips: TripRow[] = await runRoundTrips(await open('rt'));
      results.roundTrips = trips;
      const hb = trips.filter((t) => t.endpoint === 'pusher_heartbeat');
      const others = trips.filter((t) => t.endpoint !== 'pusher_heartbeat');
      const worst = others.reduce((a, b) => (b.roundTrips > a.roundTrips ? b : a));
      const over = trips.filter((t) => !t.ok);
      rows.push({
        figure: 'Redis round trips per request',
        measured: `heartbeat ${hb.map((t) => t.roundTrips).join('/')}, others max ${worst.roundTrips} (${worst.endpoint})${over.length ? `; over: ${[...new Set(over.map((t) => t.endpoint))].join(', ')}` : ''}`,
        target: 'heartbeat 1, others <= 2',
        verdict: over.length === 0 ? 'pass' : 'MISS',
      });
    });

    let scale: ScaleBeds | undefined;
    const needScale = only.has('list') || only.has('sweep') || only.has('memory');
    if (needScale) {
      await attempt('populate', async () => {
        progress(`writing ${BIG.toLocaleString('en')} + ${LIST_SMALL} + ${SWEEP_SMALL.toLocaleString('en')} rooms ...`);
        scale = await populate();
        beds.push(scale.big, scale.listSmall, scale.sweepSmall);
        results.populate = { rooms: BIG + LIST_SMALL + SWEEP_SMALL, ms: round(scale.populateMs, 0), shape: scale.shape };
        progress(`wrote them in ${(scale.populateMs / 1000).toFixed(1)} s (shape matches handler-made rooms)`);
      });
    }
    if (scale && only.has('list')) {
      const ready = scale;
      await attempt('list', async () => {
        {
          const list: ListResult = await runList(ready, settings.list);
          results.roomList = list;
          rows.push({
            figure: `get_room_list(0,20) latency ${BIG / 1000}k rooms / ${LIST_SMALL}`,
            measured: `${list.ratio.toFixed(3)} (median ${list.bigMs.median} vs ${list.smallMs.median} ms)`,
            target: '<= 1.5',
            verdict: list.ratio <= 1.5 ? 'pass' : 'MISS',
          });
        }
        {
          const adminList: AdminListResult = await runAdminList(ready, settings.list);
          results.adminRoomList = adminList;
          rows.push({
            figure: `GET /admin/rooms page of 50 (store script) ${BIG / 1000}k rooms / ${LIST_SMALL}`,
            measured: `${adminList.ratio.toFixed(3)} (median ${adminList.bigMs.median} vs ${adminList.smallMs.median} ms)`,
            target: '<= 1.5',
            verdict: adminList.ratio <= 1.5 ? 'pass' : 'MISS',
          });
        }
      });
    }
    if (scale && only.has('sweep')) {
      const beds3 = scale;
      await attempt('sweep', async () => {
        const sw: SweepResult = await runSweep(beds3, settings.sweep);
        results.sweeper = sw;
        rows.push({
          figure: `sweep, ${DUE} due among ${BIG / 1000}k / among ${SWEEP_SMALL / 1000}k`,
          measured: `${sw.ratio.toFixed(3)} (median ${round(median(sw.bigMs), 1)} vs ${round(median(sw.smallMs), 1)} ms; reapDue alone ${sw.reapRatio.toFixed(2)})`,
          target: '<= 2',
          verdict: sw.ratio <= 2 ? 'pass' : 'MISS',
        });
      });
    }

    await attempt('memory', async () => {
      const index = scale ? await indexEntryBytes(scale.big, 'multi_room') : { list: 0, due: 0 };
      const mem: MemoryResult = await runMemory(await open('mem'), index);
      results.memory = mem;
      rows.push({
        figure: 'Redis memory of a full multi_room (4 pushers)',
        measured: `${mem.totalBytes} B (keys ${Object.entries(mem.roomKeys).map(([k, v]) => `${k} ${v}`).join(', ')}; list ${mem.listEntryBytes} + due ${mem.dueEntryBytes}${scale ? '' : ' (index not measured: run with list or sweep)'})`,
        target: '<= 6 KB (report)',
        verdict: mem.totalBytes <= 6144 ? 'pass' : 'MISS',
      });
    });

    await attempt('bundles', async () => {
      const bundles: BundleResult = await runBundles({ coldstartTimeoutMs: 900_000 });
      results.bundles = bundles;
      if (bundles.rows.length === 0 || bundles.status === 'no-manifest') {
        rows.push({ figure: 'cold start of each bundle', measured: bundles.note, target: '<= 60 ms', verdict: 'n/a' });
        rows.push({ figure: 'bundle size per function', measured: bundles.note, target: 'report', verdict: 'n/a' });
        return;
      }
      const withCold = bundles.rows.filter((r) => r.coldStartMs !== undefined);
      const slowest = withCold.reduce<(typeof withCold)[number] | undefined>((a, b) => (!a || b.coldStartMs! > a.coldStartMs! ? b : a), undefined);
      rows.push({
        figure: 'cold start of each bundle',
        measured: slowest
          ? `max ${round(slowest.coldStartMs!, 1)} ms (${slowest.name}) over ${withCold.length} bundles, via ${bundles.note.split(' (after')[0]!.replace('scripts/coldstart.ts ', 'coldstart.ts ')}; 1-min load ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`
          : bundles.note.slice(0, 120),
        target: '<= 60 ms',
        verdict: slowest ? (slowest.coldStartMs! <= 60 ? 'pass' : 'MISS') : 'n/a',
      });
      // CPU time and instruction counts: what a loaded machine disturbs less (wall ms above need a quiet one).
      const cpuMax = withCold.filter((r) => r.coldStartCpuMs !== undefined).reduce((m, r) => Math.max(m, r.coldStartCpuMs!), 0);
      const counted = bundles.rows.filter((r) => r.requireMegaInstructions !== undefined);
      rows.push({
        figure: 'cold start CPU (all threads) and require() instructions',
        measured: `max ${round(cpuMax, 1)} CPU ms; ${counted.length > 0 ? counted.map((r) => `${r.name} ${round(r.requireMegaInstructions!, 0)}M instr`).join(', ') : 'no valgrind: no instruction counts'}`,
        target: 'report',
        verdict: 'report',
      });
      if (bundles.status === 'ok') {
        // The docs quote exactly these figures (docs/performance.md and docs/deploy.md, between markers).
        const block = figuresBlock(bundles.rows, { node: process.version, cpus: os.cpus().length, load: os.loadavg()[0]!, note: bundles.note.split(' (after')[0]!.replace('scripts/coldstart.ts', '`scripts/coldstart.ts`'), date: new Date().toISOString().slice(0, 10) });
        const missing = writeFigures(block);
        progress(missing.length > 0 ? `figures: no markers in ${missing.join(', ')}` : `figures written to ${FIGURE_FILES.join(' and ')}`);
      }
      const sized = bundles.rows.filter((r) => r.bytes !== undefined);
      const largest = sized.reduce<(typeof sized)[number] | undefined>((a, b) => (!a || b.bytes! > a.bytes! ? b : a), undefined);
      rows.push({
        figure: 'bundle size per function',
        measured: largest ? `${sized.length} bundles, largest ${round(largest.bytes! / 1024, 1)} KiB (${largest.name})` : 'manifest has no sizes',
        target: 'report',
        verdict: 'report',
      });
    });

    await attempt('gateway', async () => {
      const gwBed = await open('gw');
      const gw: GatewayResult = await runGateway(gwBed, { ...settings.gw, profileDir: gatewayProfileDir });
      results.gateway = gw;
      // What writing the request log line costs: the same autocannon run with the
      // gateway's stdout to a real file, then to /dev/null again, back to back.
      const logFile = path.join(os.tmpdir(), `roomservice-bench-gateway-${process.pid}.log`);
      const toFile = await runGateway(gwBed, { ...settings.gw, typedClient: false, logFile });
      const loggedLines = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.includes('"event":"request"')).length;
      rmSync(logFile, { force: true });
      const toNull = await runGateway(gwBed, { ...settings.gw, typedClient: false });
      const logCost = { toFileRps: toFile.requestsPerSecond, toNullRps: toNull.requestsPerSecond, ratio: round(toFile.requestsPerSecond / toNull.requestsPerSecond, 3), loggedLines };
      results.gatewayLogCost = logCost;
      rows.push({
        figure: 'gateway heartbeat route, log to a file / to /dev/null',
        measured: `${logCost.ratio} (${logCost.toFileRps} vs ${logCost.toNullRps} req/s; ${loggedLines} request lines written)`,
        target: '>= 0.95',
        verdict: logCost.ratio >= 0.95 ? 'pass' : 'MISS',
      });
      const wrong = gw.errors + gw.non2xx + gw.wrongAnswers;
      rows.push({
        figure: `gateway heartbeat route, autocannon ${gw.connections} conns ${gw.durationSeconds}s`,
        measured: `${gw.requestsPerSecond} req/s, p99 ${gw.latencyMs.p99} ms${wrong ? `, ${wrong} errors/wrong answers` : ''}`,
        target: 'report',
        verdict: wrong ? 'error' : 'report',
      });
      rows.push({
        figure: `gateway heartbeat route, typed client (client/) ${gw.connections} callers ${gw.durationSeconds}s`,
        measured: `${gw.typedClient.requestsPerSecond} req/s, p50 ${gw.typedClient.latencyMs.p50} ms, p99 ${gw.typedClient.latencyMs.p99} ms${gw.typedClient.wrongAnswers ? `, ${gw.typedClient.wrongAnswers} errors` : ''}`,
        target: 'report',
        verdict: gw.typedClient.wrongAnswers ? 'error' : 'report',
      });
    });

    await attempt('sidebyside', async () => {
      const sbs: SideBySideResult = await runSideBySide(await open('sbs'), settings.sbs);
      results.sideBySide = sbs;
      if (sbs.status !== 'ok') {
        rows.push({ figure: 'side by side with the 2018 server: heartbeat req/s ours / 2018', measured: `not measured: ${sbs.note}`, target: '>= 1.2', verdict: 'n/a' });
        return;
      }
      const wrong = sbs.rounds.reduce((n, r) => n + r.non2xx + r.errors + r.wrongAnswers, 0);
      rows.push({
        figure: `side by side with the 2018 server: heartbeat req/s ours / 2018 (${sbs.connections} conns, ${sbs.rounds.length / 2} x ${sbs.seconds} s alternating)`,
        measured: `${sbs.ratio} (${sbs.newRps} vs ${sbs.oldRps} req/s, medians; rounds ${sbs.rounds.map((r) => `${r.server} ${r.requestsPerSecond}`).join(', ')}; ${sbs.workers} workers, ${sbs.loggedLines} request lines to a file; 1-min load ${sbs.loadAverage.before}-${sbs.loadAverage.after})${wrong ? `; ${wrong} errors/non-2xx` : ''}`,
        target: '>= 1.2',
        verdict: wrong ? 'error' : sbs.ratio >= 1.2 ? 'pass' : 'MISS',
      });
      rows.push({
        figure: 'side by side: heartbeat p99 ours / 2018 (ms, medians of rounds); clean exit on SIGTERM',
        measured: `${sbs.newP99} vs ${sbs.oldP99} ms; exit ${sbs.cleanExit ? '0' : 'NOT clean'}`,
        target: 'p99 no worse',
        verdict: !sbs.cleanExit ? 'error' : sbs.newP99 <= sbs.oldP99 ? 'pass' : 'MISS',
      });
    });

    await attempt('webhooks', async () => {
      const wh: WebhookResult = await runWebhooks(settings.wh);
      results.webhooks = wh;
      rows.push({
        figure: `webhook delivery under load (${wh.users} users walking live rooms ${wh.seconds}s, loopback receiver)`,
        measured: `${wh.deliveredPerSecond} events/s delivered; lag p50 ${wh.lagMs.p50} ms, p99 ${wh.lagMs.p99} ms, max ${wh.lagMs.max} ms; ${wh.delivered}/${wh.appended} events, ${wh.duplicates} twice, ${wh.posts} POSTs`,
        target: 'report',
        verdict: 'report',
      });
      rows.push({
        figure: 'state-changing requests/s, webhooks on / off',
        measured: `${wh.ratio} (${wh.requestsPerSecondOn} vs ${wh.requestsPerSecondOff} req/s; pairs ${wh.ratios.join(' ')}; the receiver shares the process)`,
        target: 'report',
        verdict: 'report',
      });
      rows.push({
        figure: 'event log memory per 1,000 events (MEMORY USAGE of the log key)',
        measured: `${wh.log.bytesPer1000Events.toLocaleString('en')} B (${wh.log.bytes.toLocaleString('en')} B for ${wh.log.events.toLocaleString('en')} events)`,
        target: 'report',
        verdict: 'report',
      });
    });

    await attempt('partitions', async () => {
      // Its own process: the partition count is fixed per process, and the cluster
      // script holds the cluster tests' lock and stops the cluster afterwards.
      const out = execFileSync('scripts/bench-partitions.sh', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PARTITION_BENCH_SECONDS: quick ? '5' : '15' } });
      const pr = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as {
        partitions: number;
        masters: number;
        heartbeatsPerSecond: number;
        shares: { port: number; share: number; beatsPerCpuSecond: number }[];
        withinTenPercent: boolean;
        singleMasterCeiling: number;
        onPaper: Record<string, number>;
      };
      results.partitions = pr;
      rows.push({
        figure: `per-master command shares, ${pr.masters}-master cluster, ROOM_PARTITIONS=${pr.partitions} (heartbeats through the handlers)`,
        measured: `${pr.shares.map((m) => m.share.toFixed(3)).join(' / ')} (${pr.heartbeatsPerSecond.toLocaleString('en')} heartbeats/s)`,
        target: `each within 10% of 1/${pr.masters}`,
        verdict: pr.withinTenPercent ? 'pass' : 'MISS',
      });
      rows.push({
        figure: 'single-master ceiling (heartbeats per master CPU second); M masters on paper',
        measured: `${pr.singleMasterCeiling.toLocaleString('en')}/s; on paper ${Object.entries(pr.onPaper).map(([m, n]) => `${m}: ${n.toLocaleString('en')}`).join(', ')}`,
        target: 'report',
        verdict: 'report',
      });
    });
  } finally {
    installRuntime(undefined);
    for (const bed of beds) await bed.close();
    const deleted = await deleteByPrefix(admin, RUN_PREFIX);
    const left = (await admin.scan('0', 'MATCH', `${RUN_PREFIX}:*`, 'COUNT', 10000))[1].length;
    progress(`deleted ${deleted} keys under ${RUN_PREFIX}:*${left ? ` (${left} left!)` : ''}`);
    await closeAdmin();
    await closeFakeCloud();
  }

  const seconds = (performance.now() - t0) / 1000;
  const tripRows = results.roundTrips as TripRow[] | undefined;
  const out = {
    runPrefix: RUN_PREFIX,
    finishedAt: new Date().toISOString(),
    durationSeconds: round(seconds, 1),
    quick,
    sections: [...only],
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, redis: redisVersion, platform: `${os.platform()} ${os.release()}` },
    table: rows,
    results,
    errors,
    handlerLogLines: logLines,
  };
  writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(out, null, 2) + '\n');

  process.stdout.write(`\nRoomService bench (${RUN_PREFIX}, ${os.cpus().length} CPUs, Node ${process.version}, Redis ${redisVersion})\n\n`);
  process.stdout.write(table(rows) + '\n');
  const hb = results.heartbeat as HeartbeatResult | undefined;
  if (hb) {
    const c = hb.cpuUsPerRequest;
    process.stdout.write(
      `\nHeartbeat CPU per request (median of windows): handler ${c.handler.node} us Node + ${c.handler.redis} us Redis; ` +
        `raw EVALSHA ${c.raw.node} us Node + ${c.raw.redis} us Redis\n` +
        `  ratios per window: ${hb.ratios.join(' ')}\n` +
        `  breakdown (CPU us per request, Node + Redis, req/s):\n` +
        Object.entries(hb.breakdown)
          .map(([name, b]) => `    ${name.padEnd(24)} ${String(b.node).padStart(6)} + ${String(b.redis).padStart(6)}   ${String(b.perSecond).padStart(7)}/s\n`)
          .join('') +
        `  per room type (CPU us per request, Node + Redis, req/s):\n` +
        Object.entries(hb.byRoomType)
          .map(([type, t]) => `    ${type.padEnd(24)} ${String(t.node).padStart(6)} + ${String(t.redis).padStart(6)}   ${String(t.perSecond).padStart(7)}/s\n`)
          .join('') +
        whereMicrosecondsGo(hb),
    );
  }
  if (tripRows) {
    process.stdout.write('\nRound trips per endpoint (one request in flight):\n');
    for (const t of tripRows) {
      process.stdout.write(`  ${t.ok ? ' ' : '!'} ${t.endpoint.padEnd(20)} ${t.roomType.padEnd(11)} ${String(t.roundTrips).padStart(2)}  ${t.commands.join(' ').padEnd(34)} ${t.scenario}\n`);
    }
  }
  const bundles = results.bundles as BundleResult | undefined;
  if (bundles && bundles.rows.length > 0) {
    process.stdout.write('\nBundles:\n');
    for (const b of bundles.rows) {
      process.stdout.write(
        `  ${b.name.padEnd(22)} ${b.bytes !== undefined ? `${round(b.bytes / 1024, 1)} KiB` : '?'}${b.gzipBytes !== undefined ? ` (gzip ${round(b.gzipBytes / 1024, 1)} KiB)` : ''}` +
          `${b.coldStartMs !== undefined ? `  cold start ${round(b.coldStartMs, 1)} ms` : ''}${b.coldStartCpuMs !== undefined ? ` (${round(b.coldStartCpuMs, 1)} CPU ms)` : ''}` +
          `${b.requireMegaInstructions !== undefined ? `  require ${round(b.requireMegaInstructions, 0)}M instructions` : ''}\n` +
          (b.loads ? `      loads (KiB): ${Object.entries(b.loads).map(([k, v]) => `${k} ${v}`).join(', ')}\n` : ''),
      );
    }
  }
  process.stdout.write(`\nTotal ${seconds.toFixed(1)} s; results in bench/results.json\n`);
  if (Object.keys(errors).length > 0) process.exitCode = 1;
}

/** The heartbeat's Node CPU per request, split by where it goes (bench/lib/heartbeat-stages.ts). */
function whereMicrosecondsGo(hb: HeartbeatResult): string {
  const b = hb.breakdown;
  const st = hb.stages;
  const us = (v: number) => v.toFixed(2).padStart(7);
  const line = (label: string, v: number, note = '') => `    ${label.padEnd(44)} ${us(v)} us${note}\n`;
  return (
    `  where each microsecond of the heartbeat goes (Node CPU per request):\n` +
    line('handler, 64 callers, real Redis', b.handler.node, `   (+ ${b.handler.redis} us Redis)`) +
    line('  handler alone, 64 callers, instant store', b.handlerNoRedis.node) +
    line("  its EVALSHA replayed alone (ioredis)", b.heartbeatScript.node, `   (+ ${b.heartbeatScript.redis} us Redis; one-liner: ${b.rawOneLiner.node} + ${b.rawOneLiner.redis})`) +
    `    handler stages, each timed alone (1 caller, no Redis, ${st.calls} calls, median of rounds):\n` +
    Object.entries(st.stages)
      .filter(([name]) => name !== CLIENT_STAGE)
      .map(([name, v]) => line(`      ${name}`, v))
      .join('') +
    line('      glue (promises, async frames, GC)', st.glue) +
    line('      = whole handler, 1 caller, no Redis', st.pipeline) +
    line(`    ${CLIENT_STAGE} (alone, 1 caller)`, st.stages[CLIENT_STAGE])
  );
}

/** Deletes this run's keys, then exits: on Ctrl-C, on kill, or when the run overstays its budget. */
let stopping = false;
function abort(why: string, code: number): void {
  if (stopping) process.exit(code);
  stopping = true;
  progress(`${why}: deleting this run's keys ...`);
  deleteByPrefix(adminClient(), RUN_PREFIX)
    .catch(() => undefined)
    .finally(() => process.exit(code));
}
process.on('SIGINT', () => abort('interrupted', 130));
process.on('SIGTERM', () => abort('terminated', 143));
// The whole run must stay under 10 minutes; a stuck section must not hold the machine.
const WATCHDOG_MS = Number(process.env.BENCH_WATCHDOG_MS ?? 9 * 60_000);
setTimeout(() => abort(`still running after ${WATCHDOG_MS / 1000} s`, 2), WATCHDOG_MS).unref();

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
