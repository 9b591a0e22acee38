/**
 * A room's cloud recording in Redis (lua/helpers/recording.lua): what the room
 * wants, the tasks recording it, its recording outbox, and the callbacks
 * already turned into events. The same discipline as the room store: each
 * step one script in the room's slot, events appended in the step that makes
 * the change. The cloud calls themselves are shared/recording/perform.ts's.
 */
import { AppError, Code } from '../errors';
import type { RoomType } from '../config';
import { storeCall } from '../redis';
import { partitionBase, recordingKeys } from './keys';
import { RoomStore, type Seat } from './store';

/** A target of a recording: 'room' (the TRTC room's one recorder) or a pusher's stream id. */
export const TRTC_TARGET = 'room';

/** What a claimed room's recording is and should be (recordingClaim). */
export interface RecordingWork {
  want: 'on' | 'off';
  /** The start's number: part of the TRTC recorder's user id. */
  generation: number;
  /** target -> task id of the tasks recording now. */
  tasks: Map<string, string>;
  /** Targets whose start failed for good in this generation. */
  failed: Set<string>;
  /** The room's seats (none once it ended): a stream room records each one's stream. */
  seats: Seat[];
  /** What turned it off (recording_stopped's reason): 'admin' or 'room_ended'; '' while on. */
  why: string;
}

/** What one cloud call did, for recordingSettle (`fields`: the event's JSON members, shared/recording/events.ts). */
export interface RecordingOutcome {
  kind: 'started' | 'failed' | 'stopped';
  target: string;
  taskId: string;
  reason: string;
  fields: string;
}

/** A callback of Tencent's about a recording, for recordingCallback. */
export interface RecordingNotice {
  kind: 'ready' | 'failed' | 'stopped';
  /** What makes it unique: a file id, or task id + event type. */
  unique: string;
  taskId: string;
  target: string;
  reason: string;
  userId: string;
  fields: string;
}

/** The state the admin plane shows per room. */
export type RecordingState = 'off' | 'starting' | 'recording' | 'stopping' | 'failed';

/** Separators of recordingSettle's outcome records (neither can appear in ids, reasons are cleaned of them). */
const RECORD = '\x1e';
const FIELD = '\x1f';
const clean = (text: string) => text.replace(/[\x1e\x1f]/g, ' ');

function stateOf(hash: Record<string, string>): RecordingState {
  const fields = Object.keys(hash);
  const tasks = fields.some((f) => f.startsWith('t:'));
  if (hash.want === 'on') return tasks ? 'recording' : fields.some((f) => f.startsWith('f:')) ? 'failed' : 'starting';
  return tasks ? 'stopping' : 'off';
}

export class RecordingStore extends RoomStore {
  /** The admin API's start or stop; answers whether it changed anything. A start of a room nobody entered is code 3. */
  async request(type: RoomType, roomId: string, action: 'start' | 'stop'): Promise<boolean> {
    const [status, changed] = await this.run('recordingRequest', undefined, type, roomId, [action]);
    if (status === 'NO_ROOM') throw new AppError(Code.ROOM_NOT_FOUND, 'room does not exist or nobody entered it yet', 404);
    return changed === 1;
  }

  /** Claims the room's due recording work (a lease); undefined when none is due or another performer holds it. */
  async claim(type: RoomType, roomId: string): Promise<RecordingWork | undefined> {
    const [, claimed, want, generation, tasks, failed, seats, why] = await this.run('recordingClaim', undefined, type, roomId, []);
    if (claimed !== 1) return undefined;
    const flat = tasks as string[];
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i]!, flat[i + 1]!);
    return {
      want: want === 'on' ? 'on' : 'off',
      generation: Number(generation),
      tasks: map,
      failed: new Set(failed as string[]),
      seats: (seats as string[]).map((json) => JSON.parse(json) as Seat),
      why: String(why ?? ''),
    };
  }

  /** Records the calls' outcomes with their events; answers true when the work changed meanwhile and is due again. */
  async settle(type: RoomType, roomId: string, outcomes: RecordingOutcome[], retryMs: number): Promise<boolean> {
    const records = outcomes.map((o) => [o.kind, o.target, o.taskId, clean(o.reason), clean(o.fields)].join(FIELD)).join(RECORD);
    const [, again] = await this.run('recordingSettle', undefined, type, roomId, [records, retryMs]);
    return again === 1;
  }

  /** A recording callback's event, once. */
  async notice(type: RoomType, roomId: string, notice: RecordingNotice): Promise<'recorded' | 'duplicate' | 'unknown'> {
    const [, outcome] = await this.run('recordingCallback', undefined, type, roomId, [
      notice.kind,
      notice.unique,
      notice.taskId,
      notice.target,
      notice.reason,
      notice.userId,
      notice.fields,
    ]);
    return outcome as 'recorded' | 'duplicate' | 'unknown';
  }

  /** Rooms of a type and partition whose recording work is due (the sweeper's). */
  async dueRooms(type: RoomType, partition: number, batch: number): Promise<string[]> {
    return storeCall(this.redis.zrangebyscore(`${partitionBase(this.prefix, type, partition)}recbox`, '-inf', this.now(), 'LIMIT', 0, batch));
  }

  /** The recording state of each room (the admin plane's rooms list and snapshot). */
  async states(type: RoomType, roomIds: readonly string[]): Promise<Map<string, RecordingState>> {
    const hashes = await Promise.all(roomIds.map((id) => storeCall(this.redis.hgetall(recordingKeys(this.prefix, type, id).recording))));
    return new Map(roomIds.map((id, i) => [id, stateOf(hashes[i] ?? {})]));
  }
}
