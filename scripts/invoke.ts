/**
 * `npm run invoke -- <function> [event.json] [--times N]`: runs the built bundle
 * `dist/<function>/index.js` the way SCF does, in a fresh Node process (a cold
 * container), with the event (default `events/<function>.json`) and the current
 * environment (REDIS_URL, IM_*, LIVE_* ...). Prints the log lines, the response
 * and how long the first invocation took from a cold process.
 *
 * The child is plain `node` running a tiny runner (no tsx hooks, no parent
 * execArgv), so timings are those of the bundle alone. It talks to this process
 * over the IPC channel; the handler's stdout (its JSON log lines) is collected
 * per invocation, so logs and answers can never interleave.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DIST_DIR, ROOT, bundlePath } from './build';
import { runOperatorCommand } from './dotenv';

export const EVENTS_DIR = join(ROOT, 'events');
export const eventPath = (name: string) => join(EVENTS_DIR, `${name}.json`);

/** Runs inside the child: `node -e RUNNER <bundle>`. */
const RUNNER = `
'use strict';
const bootMs = performance.now();
const captured = [];
// The handler logs JSON lines to stdout; keep them per invocation instead.
process.stdout.write = (chunk, encoding, callback) => {
  captured.push(String(chunk));
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') done();
  return true;
};
const takeLogs = () => captured.splice(0).join('').split('\\n').filter((line) => line.length > 0);
const send = (message) => new Promise((resolve) => process.send(message, resolve));
process.on('disconnect', () => process.exit(0));
(async () => {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const cpuMs = (since) => { const used = process.cpuUsage(since); return (used.user + used.system) / 1000; };
  let handler;
  try {
    handler = require(process.argv[1]).main_handler;
    if (typeof handler !== 'function') throw new Error('the bundle does not export main_handler');
  } catch (error) {
    await send({ type: 'ready', bootMs, requireMs: performance.now() - started, error: String((error && error.stack) || error), logs: takeLogs() });
    process.exit(1);
  }
  await send({ type: 'ready', bootMs, requireMs: performance.now() - started, requireCpuMs: cpuMs(cpuStarted), logs: takeLogs() });
  process.on('message', async (message) => {
    if (message.type === 'exit') process.exit(0);
    if (message.type !== 'invoke') return;
    const began = performance.now();
    const cpuBegan = process.cpuUsage();
    let response, error;
    try {
      response = await handler(message.event, message.context);
    } catch (thrown) {
      error = String((thrown && thrown.stack) || thrown);
    }
    await send({ type: 'result', id: message.id, ms: performance.now() - began, cpuMs: cpuMs(cpuBegan), response, error, logs: takeLogs() });
  });
})();
`;

export interface Invocation {
  /** What main_handler returned (undefined when it threw). */
  response: unknown;
  /** The stack of what main_handler threw, if it did. */
  error?: string;
  ms: number;
  /** CPU time of the process (every thread: V8 compiles and collects in the background) during the invocation. */
  cpuMs?: number;
  /** stdout lines written during this invocation (the service's JSON logs). */
  logs: string[];
}

export interface ReadyInfo {
  /** Node start-up until the runner began (not part of the bundle). */
  bootMs: number;
  /** `require()` of the bundle: module evaluation, the first half of a cold start. */
  requireMs: number;
  /** CPU time of the process during `require()`: less sensitive to other jobs on the machine than requireMs. */
  requireCpuMs?: number;
  logs: string[];
}

type ChildMessage =
  | ({ type: 'ready'; error?: string } & ReadyInfo)
  | ({ type: 'result'; id: string } & Invocation);

/** SCF's context argument, as far as the handlers read it. */
export function scfContext(functionName: string): Record<string, unknown> {
  return {
    request_id: randomBytes(16).toString('hex'),
    function_name: functionName,
    function_version: '$LATEST',
    namespace: 'default',
    memory_limit_in_mb: 128,
    time_limit_in_ms: 10_000,
  };
}

/**
 * NODE_OPTIONS that load tsx or vitest hooks would follow the child and skew
 * its timings; anything else (e.g. --enable-source-maps) is the user's and stays.
 */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  if (out.NODE_OPTIONS && /tsx|vitest|loader|--import|--require/.test(out.NODE_OPTIONS)) delete out.NODE_OPTIONS;
  return out;
}

/** One fresh process holding one loaded bundle: a cold container that stays warm until closed. */
export class BundleProcess {
  private readonly waiting = new Map<string, (message: ChildMessage) => void>();
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly ready: ReadyInfo,
    exited: Promise<number | null>,
    /** What the process wrote to stderr so far (uncaught errors, Node warnings). */
    readonly stderr: string[],
  ) {
    this.exited = exited.then((code) => (this.exitCode = code));
  }

  /** Starts `node` on the bundle and waits until it is loaded. */
  static async start(file: string, options: { env?: NodeJS.ProcessEnv; name?: string } = {}): Promise<BundleProcess> {
    const child = spawn(process.execPath, ['-e', RUNNER, resolve(file)], {
      env: childEnv(options.env ?? process.env),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const stderr: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    child.stdout!.resume(); // everything the handler prints arrives over IPC
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const ready = await new Promise<ChildMessage>((done, fail) => {
      child.once('message', (message) => done(message as ChildMessage));
      void exited.then((code) => fail(new Error(`${file}: the process exited (${code}) before loading: ${stderr.join('')}`)));
    });
    if (ready.type !== 'ready') throw new Error(`${file}: unexpected first message ${ready.type}`);
    if (ready.error) {
      await exited;
      throw new Error(`${file} failed to load: ${ready.error}`);
    }
    const process_ = new BundleProcess(options.name ?? file, child, ready, exited, stderr);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'result') process_.waiting.get(message.id)?.(message);
    });
    return process_;
  }

  /** One invocation of main_handler(event, context). */
  async invoke(event: unknown, context: Record<string, unknown> = scfContext(this.name)): Promise<Invocation> {
    if (this.exitCode !== undefined) throw new Error(`${this.name}: the process has exited (${this.exitCode})`);
    const id = randomBytes(6).toString('hex');
    const answer = new Promise<ChildMessage>((done, fail) => {
      this.waiting.set(id, done);
      void this.exited.then((code) => fail(new Error(`${this.name}: the process exited (${code}) during an invocation: ${this.stderr.join('')}`)));
    });
    this.child.send({ type: 'invoke', id, event, context });
    const message = await answer;
    this.waiting.delete(id);
    if (message.type !== 'result') throw new Error(`${this.name}: unexpected message ${message.type}`);
    const { response, error, ms, cpuMs, logs } = message;
    return { response, ...(error !== undefined ? { error } : {}), ms, cpuMs, logs };
  }

  /** Ends the process; resolves with its exit code (0 unless it crashed). */
  async close(): Promise<number | null> {
    if (this.exitCode === undefined && this.child.connected) this.child.send({ type: 'exit' });
    return this.exited;
  }
}

/** Fresh process, `events.length` invocations, exit: what `npm run invoke` does. */
export async function runBundle(
  file: string,
  events: unknown[],
  options: { env?: NodeJS.ProcessEnv; name?: string } = {},
): Promise<{ ready: ReadyInfo; invocations: Invocation[]; exitCode: number | null; stderr: string }> {
  const proc = await BundleProcess.start(file, options);
  const invocations: Invocation[] = [];
  try {
    for (const event of events) invocations.push(await proc.invoke(event));
  } finally {
    await proc.close();
  }
  return { ready: proc.ready, invocations, exitCode: await proc.close(), stderr: proc.stderr.join('') };
}

export const readEvent = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

const ms = (value: number) => `${value.toFixed(1)} ms`;

function describeResponse(response: unknown): string {
  if (response && typeof response === 'object' && 'statusCode' in response && 'body' in response) {
    const { statusCode, headers, body } = response as { statusCode: number; headers?: unknown; body: unknown };
    let shown = body;
    if (typeof body === 'string') {
      try {
        shown = JSON.parse(body);
      } catch {
        // not JSON: show as is
      }
    }
    return `statusCode ${statusCode}\nheaders ${JSON.stringify(headers)}\nbody ${JSON.stringify(shown, null, 2)}`;
  }
  return JSON.stringify(response, null, 2);
}

/**
 * A server-side failure in what main_handler returned: an HTTP answer of 5xx,
 * or (the sweeper, under a timer) a report whose code is not 0.
 */
export function failedResponse(response: unknown): boolean {
  if (!response || typeof response !== 'object') return false;
  if ('statusCode' in response) return Number((response as { statusCode: unknown }).statusCode) >= 500;
  return 'code' in response && (response as { code: unknown }).code !== 0;
}

/**
 * Removes `name N` from `args` and answers N (a positive integer), `fallback`
 * when the option is absent, or undefined when N is not a positive integer.
 */
export function takeCount(args: string[], name: string, fallback: number): number | undefined {
  const at = args.indexOf(name);
  if (at === -1) return fallback;
  const count = Number(args[at + 1]);
  args.splice(at, 2);
  return Number.isInteger(count) && count >= 1 ? count : undefined;
}

function usage(): never {
  process.stderr.write('usage: npm run invoke -- <function> [event.json] [--times N]\n');
  process.exit(2);
}

/** `distDir`: where the bundles are (`sls invoke local` builds the one it runs apart from dist/). */
export async function main(argv: string[], distDir = DIST_DIR): Promise<number> {
  const args = [...argv];
  const times = takeCount(args, '--times', 1);
  if (times === undefined) usage();
  const [name, eventFile] = args;
  if (!name || args.length > 2) usage();
  const file = bundlePath(name, distDir);
  if (!existsSync(file)) {
    process.stderr.write(`${file} does not exist: run \`npm run build\` first (functions: ${DIST_DIR})\n`);
    return 1;
  }
  const eventSource = eventFile ? resolve(eventFile) : eventPath(name);
  if (!existsSync(eventSource)) {
    process.stderr.write(`no event file ${eventSource}\n`);
    return 1;
  }
  const event = readEvent(eventSource);
  const { ready, invocations, exitCode, stderr } = await runBundle(file, Array.from({ length: times }, () => event), { name });
  const out = process.stdout;
  if (ready.logs.length > 0) out.write(`${ready.logs.join('\n')}\n`);
  invocations.forEach((invocation, index) => {
    out.write(`\n--- invocation ${index + 1} (${ms(invocation.ms)})\n`);
    if (invocation.logs.length > 0) out.write(`${invocation.logs.join('\n')}\n`);
    out.write(invocation.error ? `main_handler threw:\n${invocation.error}\n` : `${describeResponse(invocation.response)}\n`);
  });
  const first = invocations[0]!;
  out.write(
    `\ncold start: require ${ms(ready.requireMs)} + first invocation ${ms(first.ms)} = ${ms(ready.requireMs + first.ms)}` +
      ` (node start-up before that: ${ms(ready.bootMs)})\n`,
  );
  if (invocations.length > 1) out.write(`warm invocations: ${invocations.slice(1).map((i) => ms(i.ms)).join(', ')}\n`);
  if (stderr) process.stderr.write(stderr);
  const failed = invocations.filter((i) => i.error || failedResponse(i.response)).length;
  if (failed > 0) process.stderr.write(`${failed} of ${invocations.length} invocation(s) failed (threw, answered HTTP 5xx, or reported a non-zero code)\n`);
  return exitCode === 0 && failed === 0 ? 0 : 1;
}

if (require.main === module) runOperatorCommand('invoke', main);
