/**
 * One JSON line per event on stdout, which SCF ships to its log service.
 * Field names that could carry a credential are masked, so a careless caller
 * cannot leak a token or signature into the logs.
 */
const SECRET_FIELD = /token|sig|secret|password|apikey|api_key|authorization|txsecret/i;

export type LogEvent = Record<string, unknown>;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

/**
 * Batched mode (the local gateway, which serves many requests at once): lines
 * wait for the end of the event-loop turn and go out in one write. Writing each
 * line on its own cost the gateway's heartbeat route 28% of its throughput with
 * stdout to a file (bench "log to a file / to /dev/null"). An SCF function
 * serves one request at a time and may be frozen right after answering, so it
 * keeps writing every line at once.
 */
let batching = false;
let pending: string[] = [];
let flushScheduled = false;
let flushAtExit = false;

/** Writes the lines waiting in batched mode (also run at process exit, so none is lost). */
export function flushLog(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const text = pending.join('\n') + '\n';
  pending = [];
  process.stdout.write(text);
}

function toStdout(line: string): void {
  if (!batching) {
    process.stdout.write(line + '\n');
    return;
  }
  pending.push(line);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushLog);
  }
}

/** Turns batched mode on or off (off writes what is waiting first). */
export function batchLogLines(on: boolean): void {
  if (on && !flushAtExit) {
    flushAtExit = true;
    process.on('exit', flushLog);
  }
  if (!on) flushLog();
  batching = on;
}

let sink: (line: string) => void = toStdout;

/**
 * The line's time, formatted once per millisecond: under load many lines share
 * a millisecond, and Date#toISOString was a third of the line's cost.
 */
let isoMs = -1;
let isoText = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

export function log(event: LogEvent): void {
  sink(JSON.stringify({ time: isoNow(), ...(redact(event) as LogEvent) }));
}

/** Tests and the gateway capture or silence log lines through this. */
export function setLogSink(next: (line: string) => void): void {
  sink = next;
}

/**
 * For lines whose fields are fixed and known to hold no credential (the
 * per-request line): skips the redaction walk, which is measurable on the
 * heartbeat path.
 */
export function logTrusted(event: LogEvent): void {
  // The same line as log()'s (time first), without copying the event into a
  // new object: the ISO time needs no escaping, and `event` always has fields.
  const fields = JSON.stringify(event);
  sink(fields.length > 2 ? `{"time":"${isoNow()}",${fields.slice(1)}` : `{"time":"${isoNow()}"}`);
}
