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

let sink: (line: string) => void = (line) => process.stdout.write(line + '\n');

export function log(event: LogEvent): void {
  sink(JSON.stringify({ time: new Date().toISOString(), ...(redact(event) as LogEvent) }));
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
  sink(JSON.stringify({ time: new Date().toISOString(), ...event }));
}
