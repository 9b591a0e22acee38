/**
 * Room operations that span Redis and the IM service. The order is the rule:
 * the IM group exists before its room does, and notifications go out only
 * after the change is committed.
 */
import type { RoomType } from '../config';
import { AppError, Code, invalidParam, errorMessage } from '../errors';
import type { Actor } from '../auth/token';
import { GROUP_ID_TAKEN, ImError } from '../im/client';
import type { Runtime } from '../services';
import { accelerateUrl, isOwnStream, mixedPlayUrl, parsePushUrl, randomRoomId, type LiveSigning } from '../sign/live-urls';
import { log } from '../log';
import { performEffect } from './effects';
import { performRecording } from '../recording/perform';
import { GroupBusy, type StreamEvent } from './store';

const POLL_MS = 25;

/**
 * Runs `step` until no destroy of the room id's IM group is in flight any more
 * (the store answers GroupBusy meanwhile; see destroyPending in lua/helpers/rules.lua).
 * A destroy normally settles within one IM call; the wait is bounded by one
 * call's timeout (IM_TIMEOUT_MS), leaving the request time for its own IM
 * calls within the function timeout. Past it GroupBusy (code 6, "retry
 * shortly") reaches the client. `attempt` is 0 on the first run.
 */
export async function onceGroupSettled<T>(rt: Runtime, step: (attempt: number) => Promise<T>): Promise<T> {
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

/** IM 10021: another owner's group has this id. Code 6 (add_pusher); create_room picks another id or answers 11. */
class GroupIdTaken extends AppError {
  constructor(roomId: string) {
    super(Code.IM_GROUP_FAILED, `room id ${roomId} is used by an IM group of someone else (IM 10021): choose another roomID`);
  }
}

/** Tries for a generated room id before giving up (a clash needs another owner's group with a random id). */
const GENERATED_ID_ATTEMPTS = 3;

async function ensureGroup(rt: Runtime, type: RoomType, roomId: string): Promise<void> {
  try {
    await rt.im.createGroup(roomId);
  } catch (error) {
    if (error instanceof ImError && error.errorCode === GROUP_ID_TAKEN) {
      // Not our group: the cleanup recorded before this call (expectGroup) must not destroy it.
      await rt.rooms.ackEffect(type, roomId, 'expect');
      throw new GroupIdTaken(roomId);
    }
    // The group's cleanup was recorded before this call (prepareCreate, or joinRoom
    // answering NO_ROOM): if IM made the group after all, the sweeper destroys it.
    throw new AppError(Code.IM_GROUP_FAILED, `creating the IM group failed: ${errorMessage(error)}`, 200, {}, error);
  }
}

/** The live settings double as the URL signing parameters. */
export const liveSigning = (rt: Runtime): LiveSigning => rt.config.live;

export async function createRoom(rt: Runtime, actor: Actor, type: RoomType, roomInfo: string, requestedId?: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const roomId = requestedId ?? randomRoomId();
    // Session, quota and a taken id first, so a refused caller makes no IM group.
    await onceGroupSettled(rt, (retry) => rt.rooms.prepareCreate(actor, type, roomId, attempt === 1 && retry === 0));
    try {
      await onceGroupSettled(rt, async () => {
        await ensureGroup(rt, type, roomId);
        await rt.rooms.createRoom(actor, type, roomId, roomInfo);
      });
    } catch (error) {
      if (!(error instanceof GroupIdTaken)) throw error;
      if (requestedId !== undefined) throw new AppError(Code.ROOM_EXISTS, error.message, 200, { roomID: roomId });
      if (attempt >= GENERATED_ID_ATTEMPTS) throw error;
      continue; // a generated id: draw another
    }
    return roomId;
  }
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
      await ensureGroup(rt, type, input.roomId);
      return rt.rooms.join(actor, type, input.roomId, seat, mixed, { roomInfo: input.roomInfo });
    });
  }
  if (outcome.missing) throw new Error('room missing after creation');
  await performEffect(rt, type, input.roomId, outcome.effect);
  if (outcome.recording) await performRecording(rt, type, input.roomId);
  return outcome.created ? { roomID: input.roomId } : {};
}

export async function deletePusher(rt: Runtime, actor: Actor, type: RoomType, roomId: string): Promise<void> {
  if (roomId === '') {
    // No room, so not a pusher of it (after the session check every room action makes).
    await rt.rooms.checkSession(actor, type);
    throw new AppError(Code.NOT_A_MEMBER, 'you are not a pusher in this room');
  }
  await performEffect(rt, type, roomId, await rt.rooms.leave(actor, type, roomId, 'left'));
}

export async function destroyRoom(rt: Runtime, actor: Actor, type: RoomType, roomId: string): Promise<void> {
  await performEffect(rt, type, roomId, await rt.rooms.destroy(actor, type, roomId, 'destroyed'));
}

/**
 * A push / stop callback: a stop removes the seat pushing that stream exactly
 * as delete_pusher does (notice, empty room ends, a live room ends with its
 * creator), logged with the platform's reason; a start marks the seat live.
 */
export async function applyStreamEvent(rt: Runtime, event: StreamEvent, reason: { errcode?: unknown; errmsg?: unknown }): Promise<void> {
  const result = await rt.rooms.streamEvent(event);
  log({
    event: 'live_callback',
    streamId: event.streamId,
    sequence: event.sequence,
    started: event.started,
    outcome: result.outcome,
    ...('roomId' in result ? { roomType: result.type, roomId: result.roomId } : {}),
    ...(result.outcome === 'removed' ? { reason: 'push stopped (live callback)', errcode: reason.errcode, errmsg: reason.errmsg } : {}),
  });
  if (result.outcome === 'removed') await performEffect(rt, result.type, result.roomId, result.effect);
}
