/**
 * Room operations that span Redis and the IM service. The order is the rule:
 * the IM group exists before its room does, and notifications go out only
 * after the change is committed.
 */
import type { RoomType } from '../config';
import { AppError, Code, invalidParam } from '../errors';
import type { Actor } from '../auth/token';
import type { Runtime } from '../runtime';
import { accelerateUrl, isOwnStream, mixedPlayUrl, parsePushUrl, randomRoomId, type LiveSigning } from '../sign/live-urls';
import { performEffect } from './effects';
import { GroupBusy } from './store';

const POLL_MS = 25;

/**
 * Runs `step` until no destroy of the room id's IM group is in flight any more
 * (the store answers GroupBusy meanwhile; see destroyPending in scripts.ts).
 * A destroy normally settles within one IM call; the wait is bounded by one
 * call's timeout (IM_TIMEOUT_MS), leaving the request time for its own IM
 * calls within the function timeout. Past it GroupBusy (code 6, "retry
 * shortly") reaches the client. `attempt` is 0 on the first run.
 */
async function onceGroupSettled<T>(rt: Runtime, step: (attempt: number) => Promise<T>): Promise<T> {
  const deadline = Date.now() + rt.config.im.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await step(attempt);
    } catch (error) {
      if (!(error instanceof GroupBusy) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

async function ensureGroup(rt: Runtime, roomId: string): Promise<void> {
  try {
    await rt.im.createGroup(roomId);
  } catch (error) {
    // The group's cleanup was recorded before this call (prepareCreate, or joinRoom
    // answering NO_ROOM): if IM made the group after all, the sweeper destroys it.
    throw new AppError(Code.IM_GROUP_FAILED, `creating the IM group failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The live settings double as the URL signing parameters. */
export const liveSigning = (rt: Runtime): LiveSigning => rt.config.live;

export async function createRoom(rt: Runtime, actor: Actor, type: RoomType, roomInfo: string, requestedId?: string): Promise<string> {
  const roomId = requestedId ?? randomRoomId();
  // Session, quota and a taken id first, so a refused caller makes no IM group.
  await onceGroupSettled(rt, (attempt) => rt.rooms.prepareCreate(actor, type, roomId, attempt === 0));
  await onceGroupSettled(rt, async () => {
    await ensureGroup(rt, roomId);
    await rt.rooms.createRoom(actor, type, roomId, roomInfo);
  });
  return roomId;
}

export interface PusherInput {
  roomId: string;
  userName: string;
  userAvatar: string;
  pushURL: string;
  roomInfo: string;
}

/** add_pusher; answers `roomID` when this call created the room. */
export async function addPusher(rt: Runtime, actor: Actor, type: RoomType, input: PusherInput): Promise<{ roomID?: string }> {
  const live = liveSigning(rt);
  const stream = parsePushUrl(live, input.pushURL);
  // The stream must be exactly the caller's own (as get_push_url names it), or
  // anyone could list someone else's stream under their name.
  if (!isOwnStream(live, stream.streamId, input.roomId, actor.userId)) {
    throw invalidParam('pushURL', "is not the caller's stream for this room (use get_push_url's URL)");
  }
  const seat = {
    userID: actor.userId,
    userName: input.userName,
    userAvatar: input.userAvatar,
    accelerateURL: accelerateUrl(live, stream.subId),
    streamID: stream.streamId,
  };
  const mixed = mixedPlayUrl(live, stream.subId);
  let outcome = await onceGroupSettled(rt, (attempt) => rt.rooms.join(actor, type, input.roomId, seat, mixed, undefined, attempt === 0));
  if (outcome.missing) {
    outcome = await onceGroupSettled(rt, async () => {
      await ensureGroup(rt, input.roomId);
      return rt.rooms.join(actor, type, input.roomId, seat, mixed, { roomInfo: input.roomInfo });
    });
  }
  if (outcome.missing) throw new Error('room missing after creation');
  await performEffect(rt, type, input.roomId, outcome.effect);
  return outcome.created ? { roomID: input.roomId } : {};
}

export async function deletePusher(rt: Runtime, actor: Actor, type: RoomType, roomId: string): Promise<void> {
  await performEffect(rt, type, roomId, await rt.rooms.leave(actor, type, roomId));
}

export async function destroyRoom(rt: Runtime, actor: Actor, type: RoomType, roomId: string): Promise<void> {
  await performEffect(rt, type, roomId, await rt.rooms.destroy(actor, type, roomId));
}
