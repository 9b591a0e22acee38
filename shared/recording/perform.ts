/**
 * Performs a room's recording work from its recording outbox: claims it (a
 * lease), makes the tasks match what the room wants (start the missing ones,
 * stop the unwanted ones), and settles the outcomes with their events. The
 * request that made the work due performs it at once; the sweeper performs
 * whatever a crash, a failed call or a lease left behind. Once a task's start
 * is settled it is never started again; a start whose answer was lost may be
 * repeated, which TRTC absorbs (the same recorder id replaces the first) and
 * the live platform bounds (docs/recording.md, "Guarantees").
 */
import { ROOM_TYPES, WEBRTC_ROOM, type RoomType } from '../config';
import { errorMessage } from '../errors';
import { log } from '../log';
import type { Runtime } from '../services';
import { allPartitions } from '../rooms/keys';
import { TRTC_TARGET, type RecordingOutcome, type RecordingWork } from '../rooms/recording-store';
import { CloudApiError } from '../cloud/client';
import { LIVE_TASK_MAX_SECONDS, recorderId, recordingCallRetryable, recordingGone } from './client';
import { eventFields } from './events';

/** A failed call's work is due again after this long. */
export const RECORDING_RETRY_MS = 15_000;
/** Rounds one performer runs when the room changed while it worked. */
const MAX_ROUNDS = 3;

const byKey = <T>(entries: Iterable<[string, T]>) => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * What should be recorded: the TRTC room, or each seat's stream (target -> its
 * pusher), in target order (a hash has none of its own; both stores then agree).
 */
function wantedTargets(type: RoomType, work: RecordingWork): Map<string, string> {
  const wanted: [string, string][] = [];
  if (work.want === 'on') {
    if (type === WEBRTC_ROOM) wanted.push([TRTC_TARGET, '']);
    else for (const seat of work.seats) if (seat.streamID) wanted.push([seat.streamID, seat.userID]);
  }
  return new Map(byKey(wanted));
}

const reasonOf = (error: unknown) => (error instanceof CloudApiError && error.errorCode ? error.message.replace(/^.*? failed: /, '') : errorMessage(error));

/** One round: the calls for a claimed room, as outcomes; `retry` when a call failed for now. */
async function reconcile(rt: Runtime, type: RoomType, roomId: string, work: RecordingWork): Promise<{ outcomes: RecordingOutcome[]; retry: boolean }> {
  const recorder = rt.recorder;
  const outcomes: RecordingOutcome[] = [];
  let retry = false;
  const wanted = wantedTargets(type, work);
  // The event's fields: the task, and a stream room's stream and pusher (a departed pusher's is no longer known).
  const describe = (target: string, taskId: string, extra: Record<string, unknown> = {}) =>
    eventFields(type === WEBRTC_ROOM ? { taskId, ...extra } : { taskId, streamID: target, pusher: wanted.get(target), ...extra });
  // Stops first: a stopped task frees its place before a new one needs it.
  for (const [target, taskId] of byKey(work.tasks)) {
    if (wanted.has(target)) continue;
    const reason = work.want === 'on' ? 'pusher_left' : work.why || 'admin';
    try {
      await (type === WEBRTC_ROOM ? recorder.stopRoom(taskId) : recorder.stopStream(taskId));
      outcomes.push({ kind: 'stopped', target, taskId, reason, fields: describe(target, taskId) });
    } catch (error) {
      if (recordingGone(error)) outcomes.push({ kind: 'stopped', target, taskId, reason, fields: describe(target, taskId, { gone: true }) });
      else if (recordingCallRetryable(error)) retry = true;
      // It cannot be stopped: it ends by itself (the push stops, the room empties, its end time); say so and let go.
      else outcomes.push({ kind: 'stopped', target, taskId, reason: `stop refused: ${reasonOf(error)}`, fields: describe(target, taskId) });
      log({ event: 'recording_call_failed', call: 'stop', roomType: type, roomId, target, error: errorMessage(error) });
    }
  }
  for (const target of wanted.keys()) {
    if (work.tasks.has(target) || work.failed.has(target)) continue;
    try {
      const taskId =
        type === WEBRTC_ROOM
          ? await recorder.startRoom(roomId, recorderId(type, roomId, work.generation))
          : await recorder.startStream(target, Math.floor(Date.now() / 1000) + LIVE_TASK_MAX_SECONDS);
      const recorderOf = type === WEBRTC_ROOM ? { recorder: recorderId(type, roomId, work.generation) } : {};
      outcomes.push({ kind: 'started', target, taskId, reason: '', fields: describe(target, taskId, { ...recorderOf, storage: type === WEBRTC_ROOM ? rt.config.recording!.storage.kind : 'vod' }) });
    } catch (error) {
      log({ event: 'recording_call_failed', call: 'start', roomType: type, roomId, target, error: errorMessage(error) });
      if (recordingCallRetryable(error)) retry = true;
      else outcomes.push({ kind: 'failed', target, taskId: '', reason: reasonOf(error), fields: describe(target, '', error instanceof CloudApiError && error.errorCode ? { errorCode: error.errorCode } : {}) });
    }
  }
  return { outcomes, retry };
}

/** Performs the room's due recording work, if any (nothing without RECORD_STORAGE). Never throws: what fails stays due. */
export async function performRecording(rt: Runtime, type: RoomType, roomId: string): Promise<void> {
  if (!rt.config.recording) return;
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const work = await rt.recordings.claim(type, roomId);
      if (!work) return;
      const { outcomes, retry } = await reconcile(rt, type, roomId, work);
      if (!(await rt.recordings.settle(type, roomId, outcomes, retry ? RECORDING_RETRY_MS : 0))) return;
    }
  } catch (error) {
    // The claim's lease runs out and the sweeper performs the work again.
    log({ event: 'recording_failed_to_settle', roomType: type, roomId, error: errorMessage(error) });
  }
}

/** The sweeper's part: every room whose recording work is due (a crash, a failed call, a lost lease). */
export async function performDueRecordings(rt: Runtime, batch: number): Promise<number> {
  if (!rt.config.recording) return 0;
  let performed = 0;
  for (const partition of allPartitions()) {
    for (const type of ROOM_TYPES) {
      const due = await rt.recordings.dueRooms(type, partition, batch);
      for (const roomId of due) await performRecording(rt, type, roomId);
      performed += due.length;
    }
  }
  return performed;
}

/** The admin API's start/stop: recorded, then performed at once. Answers whether anything changed. */
export async function requestRecording(rt: Runtime, type: RoomType, roomId: string, action: 'start' | 'stop'): Promise<boolean> {
  const changed = await rt.recordings.request(type, roomId, action);
  await performRecording(rt, type, roomId);
  return changed;
}
