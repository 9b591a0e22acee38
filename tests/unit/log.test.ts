/**
 * The request log's batched mode (the local gateway): lines written once per
 * event-loop turn, in order, none lost when batching ends; unbatched (SCF)
 * every line is written at once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { batchLogLines, log, logTrusted } from '../../shared/log';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('request log lines on stdout', () => {
  afterEach(() => {
    batchLogLines(false);
    vi.restoreAllMocks();
  });

  it('unbatched, writes each line at once', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    log({ event: 'one' });
    log({ event: 'two' });
    expect(write).toHaveBeenCalledTimes(2);
  });

  it('batched, writes the lines of one turn in one write, in order', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    batchLogLines(true);
    for (const n of [1, 2, 3]) log({ event: 'request', n });
    expect(write).not.toHaveBeenCalled();

    await nextTurn();

    expect(write).toHaveBeenCalledTimes(1);
    const lines = String(write.mock.calls[0]![0]).trimEnd().split('\n').map((line) => JSON.parse(line) as { n: number });
    expect(lines.map((line) => line.n)).toEqual([1, 2, 3]);
  });

  it('ending batched mode writes what is waiting, and redaction still applies', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    batchLogLines(true);
    log({ event: 'late', token: 'secret-token-value' });

    batchLogLines(false);

    expect(write).toHaveBeenCalledTimes(1);
    expect(String(write.mock.calls[0]![0])).toContain('"event":"late"');
    expect(String(write.mock.calls[0]![0])).not.toContain('secret-token-value');
  });

  it('logTrusted writes the same line as log (time first, then the fields in order)', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const event = { event: 'request', endpoint: 'pusher_heartbeat', roomType: undefined, user: 'u"1', code: 0, ms: 0.25 };
    log(event);
    logTrusted(event);
    logTrusted({});
    const lines = write.mock.calls.map((call) => String(call[0]));
    expect(lines.every((line) => line.endsWith('}\n'))).toBe(true);
    const [viaLog, trusted, empty] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(trusted!)).toEqual(['time', 'event', 'endpoint', 'user', 'code', 'ms']);
    expect({ ...trusted, time: 0 }).toEqual({ ...viaLog, time: 0 });
    expect(new Date(String(trusted!.time)).toISOString()).toBe(trusted!.time);
    expect(Object.keys(empty!)).toEqual(['time']);
  });
});
