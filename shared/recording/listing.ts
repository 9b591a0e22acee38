/**
 * GET /admin/recordings: the recorded files are the `recording_ready` events
 * of the log, so they are kept exactly as long as the log keeps its events
 * (EVENT_LOG_MAX_AGE_SECONDS, EVENT_LOG_MAX_LEN); the files themselves stay
 * in VOD or COS under their own rules. A page reads the log in order, keeps
 * the files in the time window, and says where to continue.
 */
import { readEvents, type EventRoom, type RoomEvent } from '../events/log';
import type { Runtime } from '../services';

/** Log events examined per call at most (the page's `next` continues after them). */
const MAX_EXAMINED = 20_000;
const READ_CHUNK = 1000;

export interface RecordingPage {
  recordings: RoomEvent[];
  /** Pass as `after` to continue (the last event examined); null when the log holds nothing after it. */
  next: string | null;
}

/** Files of `room` (or every room) whose recording started in [from, to] (ms), oldest first. */
export async function listRecordings(rt: Runtime, options: { room?: EventRoom; from?: number; to?: number; after?: string; limit: number }): Promise<RecordingPage> {
  const recordings: RoomEvent[] = [];
  let after = options.after;
  for (let examined = 0; examined < MAX_EXAMINED && recordings.length < options.limit; ) {
    const page = await readEvents(rt, { after, room: options.room, limit: READ_CHUNK });
    for (const event of page.events) {
      examined++;
      after = event.id;
      if (event.type !== 'recording_ready') continue;
      const start = typeof event.startTime === 'number' ? event.startTime : event.time;
      if ((options.from !== undefined && start < options.from) || (options.to !== undefined && start > options.to)) continue;
      recordings.push(event);
      if (recordings.length === options.limit) break;
    }
    // A room filter examines up to 10,000 events a read: `next` may be past the last one returned.
    if (page.events.length < READ_CHUNK || recordings.length === options.limit) {
      if (recordings.length < options.limit) after = page.next ?? after;
      break;
    }
  }
  return { recordings, next: after ?? null };
}
