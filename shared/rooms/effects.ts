/**
 * Side effects of room changes, performed after the change is committed: IM
 * for the stream room types, the TRTC room management API for webrtc_room.
 * Each was recorded in the room partition's outbox by the same script that
 * made the change; it is acknowledged once done. A failed effect stays in the
 * outbox and the sweeper retries it when its lease runs out, so a crash or an
 * IM / TRTC outage never loses a group destruction, a notification, a TRTC
 * room dismissal or a member's removal.
 */
import { WEBRTC_ROOM, type RoomType } from '../config';
import { API_REFUSED_CODES, ImError } from '../im/client';
import { log } from '../log';
import type { Runtime } from '../services';
import type { Effect } from './store';
import { trtcCallSettled } from '../trtc/client';
import { errorMessage } from '../errors';
import { performRecording } from '../recording/perform';

/**
 * The group is gone or invalid, or IM refuses the API to this account (with
 * IM_NOTIFY_MODE=system or both): retrying cannot help, and in `both` mode a
 * retry would repeat the custom message that did go out.
 */
const PERMANENT_IM_ERRORS = new Set([10010, 10015, ...API_REFUSED_CODES]);

/**
 * webrtc_room: the service makes no IM group for it (TRTC makes the media
 * room on first entry); ending the room dismisses the TRTC room, an evicted
 * member is removed from it, and `notify` needs nothing (the TRTC SDK tells
 * the members). The TRTC API answering that the room or user is gone already
 * settles the effect.
 */
async function performTrtcEffect(rt: Runtime, roomId: string, effect: Effect, userId: string | undefined): Promise<void> {
  if (effect === 'destroy') await rt.trtc.dismissRoom(roomId);
  else if (effect === 'remove' && userId) await rt.trtc.removeUsers(roomId, [userId]);
}

export async function performEffect(rt: Runtime, type: RoomType, roomId: string, effect: Effect | undefined, userId?: string): Promise<void> {
  if (!effect) return;
  // A room that ended stopped its recording in the same step (helpers/recording.lua):
  // stop the tasks before the TRTC room is dismissed (with RECORD_STORAGE only).
  if (effect === 'destroy') await performRecording(rt, type, roomId);
  try {
    if (type === WEBRTC_ROOM) await performTrtcEffect(rt, roomId, effect, userId);
    else if (effect === 'notify') await rt.im.notifyPusherChange(roomId);
    else await rt.im.destroyGroup(roomId);
  } catch (error) {
    const permanent = (error instanceof ImError && PERMANENT_IM_ERRORS.has(error.errorCode)) || trtcCallSettled(error);
    log({ event: 'effect_failed', effect, roomType: type, roomId, ...(userId ? { userId } : {}), permanent, error: errorMessage(error) });
    if (!permanent) return; // left in the outbox: the sweeper retries after the lease
  }
  try {
    await rt.rooms.ackEffect(type, roomId, effect, userId);
  } catch (error) {
    // The change and its effect both happened; an unacknowledged entry only
    // means the sweeper repeats the effect once after the lease (harmless).
    log({ event: 'effect_ack_failed', effect, roomType: type, roomId, error: errorMessage(error) });
  }
}
