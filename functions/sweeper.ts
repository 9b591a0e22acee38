/** sweeper: timer-triggered reaping of timed-out pushers and idle rooms, event log trimming and webhook delivery. */
import { ConfigError } from '../shared/config';
import { Code, errorMessage } from '../shared/errors';
import { log } from '../shared/log';
import { sweep } from '../shared/rooms/sweeper';
import { runtime } from '../shared/runtime';

let coldStart = true;

/** Timer trigger entry point; any event is accepted (the console's timer template included). */
export async function main_handler(event?: unknown): Promise<Record<string, unknown>> {
  const started = performance.now();
  const cold = coldStart;
  coldStart = false;
  let outcome: Record<string, unknown>;
  try {
    const report = await sweep(runtime());
    outcome = { code: Code.OK, message: 'success', ...report };
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : errorMessage(error);
    outcome = { code: error instanceof ConfigError ? Code.CONFIG_INVALID : Code.INTERNAL, message: `sweep failed: ${message}` };
  }
  const trigger = event && typeof event === 'object' && 'TriggerName' in event ? String((event as { TriggerName: unknown }).TriggerName) : undefined;
  log({ event: 'sweep', trigger, ...outcome, ms: Math.round(performance.now() - started), ...(cold ? { coldStart: true } : {}) });
  return outcome;
}
