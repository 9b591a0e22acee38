/**
 * webrtc_room (docs/protocol.md §7): TRTC rooms under the same rules engine
 * as the stream types. A member is a seat without a stream (its seat JSON
 * has empty URLs), taken by the same join script as add_pusher (capacity,
 * quotas, the cross-type id rule, and whatever admission rules that script
 * applies), kept by heartbeats or, with TRTC callbacks, by TRTC's word
 * (trtcEvent-*.lua), and left through the same leave path. The service makes
 * no IM group for it: the effects are TRTC calls (effects.ts). A PrivateMapKey
 * is issued only after the join script let the user in.
 */
import { randomInt } from 'node:crypto';
import { WEBRTC_ROOM } from '../config';
import { AppError, Code } from '../errors';
import { provenActor, type Actor } from '../auth/token';
import { log } from '../log';
import type { Runtime } from '../services';
import { issuePrivateMapKey } from '../trtc/private-map-key';
import { TRTC_MAX_NUMERIC_ROOM } from '../trtc/room-id';
import type { TrtcEvent } from '../trtc/callback';
import { performEffect } from './effects';
import { performRecording } from '../recording/perform';
import { onceGroupSettled } from './service';
import type { Pusher, Seat } from './store';

/** Tries for a generated room id before giving up (a clash needs a taken random 32-bit number). */
const GENERATED_ID_ATTEMPTS = 3;

/**
 * A member's seat: webrtc members have no stream and no play URL. The
 * nickName the PC web client sends is kept as the seat's userName (the same
 * field a pusher's name lives in), so get_room_members, the admin plane and
 * the events show it.
 */
const memberSeat = (userId: string, nickName: string): Seat => ({ userID: userId, userName: nickName, userAvatar: '', accelerateURL: '', streamID: '' });

/** A room number as the demo uses them: digits, a numeric TRTC room (1..4294967294). */
const generatedRoomId = () => String(randomInt(1, TRTC_MAX_NUMERIC_ROOM + 1));

function privateMapKey(rt: Runtime, userId: string, roomId: string, creator: boolean): string {
  const { sdkAppId, secretKey } = rt.config.im;
  const { privilegeMap, privateMapKeyTtlSeconds } = rt.config.trtc;
  return issuePrivateMapKey({ sdkAppId, secretKey, userId, roomId, privilegeMap, creator, ttlSeconds: privateMapKeyTtlSeconds });
}

/**
 * enter_room: seats the caller in the room, creating it when it does not
 * exist (the demo enters typed room numbers; TRTC makes its room on first
 * entry), then answers the PrivateMapKey for that room.
 */
export async function enterRoom(rt: Runtime, actor: Actor, roomId: string, roomInfo = '', nickName = ''): Promise<{ privateMapKey: string; created: boolean }> {
  const seat = memberSeat(actor.userId, nickName);
  // A missing room first reserves the id and records its cleanup (as add_pusher
  // does before its IM call), then creates it: a TRTC dismissal of this id in
  // flight is waited for (onceGroupSettled), so it cannot end the new room.
  let outcome = await onceGroupSettled(rt, (attempt) => rt.rooms.join(actor, WEBRTC_ROOM, roomId, seat, '', undefined, attempt === 0));
  if (outcome.missing) outcome = await onceGroupSettled(rt, () => rt.rooms.join(actor, WEBRTC_ROOM, roomId, seat, '', { roomInfo }));
  if (outcome.missing) throw new Error('room missing after creation');
  await performEffect(rt, WEBRTC_ROOM, roomId, outcome.effect);
  if (outcome.recording) await performRecording(rt, WEBRTC_ROOM, roomId);
  return { privateMapKey: privateMapKey(rt, actor.userId, roomId, outcome.creator), created: outcome.created };
}

/** create_room: a new room under a generated room number, with the caller in it as creator. */
export async function createRoom(rt: Runtime, actor: Actor, roomInfo: string, nickName = ''): Promise<{ roomID: string; privateMapKey: string }> {
  for (let attempt = 1; ; attempt++) {
    const roomId = generatedRoomId();
    try {
      // Session, quota, a taken id and ROOMS_PER_USER first; it records the id's cleanup, which creating the room cancels.
      await onceGroupSettled(rt, (retry) => rt.rooms.prepareCreate(actor, WEBRTC_ROOM, roomId, attempt === 1 && retry === 0));
    } catch (error) {
      if (error instanceof AppError && error.code === Code.ROOM_EXISTS && attempt < GENERATED_ID_ATTEMPTS) continue;
      throw error;
    }
    const outcome = await onceGroupSettled(rt, () => rt.rooms.join(actor, WEBRTC_ROOM, roomId, memberSeat(actor.userId, nickName), '', { roomInfo }, false));
    if (outcome.missing) throw new Error('room missing after creation');
    await performEffect(rt, WEBRTC_ROOM, roomId, outcome.effect);
    if (outcome.recording) await performRecording(rt, WEBRTC_ROOM, roomId);
    return { roomID: roomId, privateMapKey: privateMapKey(rt, actor.userId, roomId, outcome.creator) };
  }
}

/** quit_room: the caller leaves exactly as delete_pusher leaves (the last one, or the creator if configured, ends the room). */
export async function quitRoom(rt: Runtime, actor: Actor, roomId: string): Promise<void> {
  await performEffect(rt, WEBRTC_ROOM, roomId, await rt.rooms.leave(actor, WEBRTC_ROOM, roomId, 'left'));
}

/** A member as the clients show it: the PC web client lists `nickName || userID`. */
export interface WebrtcMember {
  userID: string;
  nickName: string;
}

export interface WebrtcRoom {
  roomID: string;
  roomInfo: string;
  roomCreator: string;
  members: WebrtcMember[];
}

const toMember = (seat: Pusher): WebrtcMember => ({ userID: seat.userID, nickName: seat.userName });

/** An anonymous demo caller (get_room_list and get_room_members send no userID) counts on its IP's quota only. */
const readerOf = (actor: Actor | undefined, clientIp: string): Actor => actor ?? provenActor('', clientIp, 'demo');

/** get_room_list: entered rooms with a live member, in creation order. */
export async function listRooms(rt: Runtime, actor: Actor | undefined, clientIp: string, index: number, count: number): Promise<WebrtcRoom[]> {
  const rooms = await rt.rooms.listRooms(readerOf(actor, clientIp), WEBRTC_ROOM, index, count);
  return rooms.map((room) => ({
    roomID: room.roomID,
    roomInfo: room.roomInfo,
    roomCreator: room.roomCreator,
    members: room.pushers.map(toMember),
  }));
}

/**
 * get_room_members: the room's live members (heartbeat or TRTC presence), as
 * get_room_list lists them; a room that does not exist (or has no live member
 * left) is code 3, on which the PC web client leaves the class page.
 */
export async function roomMembers(rt: Runtime, actor: Actor | undefined, clientIp: string, roomId: string): Promise<WebrtcMember[]> {
  const room = await rt.rooms.getRoom(readerOf(actor, clientIp), WEBRTC_ROOM, roomId);
  return room.pushers.map(toMember);
}

/**
 * A TRTC room callback: 104 removes the member exactly as quit_room does
 * (its reason logged), 103 marks it present, 102 ends the room; duplicates
 * and late deliveries are answered without effect. A 103 of a user banned
 * there or holding no seat the service admitted (a kicked member whose
 * PrivateMapKey is still valid reconnecting) removes them from the TRTC room.
 */
export async function applyTrtcEvent(rt: Runtime, event: TrtcEvent): Promise<void> {
  const result = await rt.rooms.trtcEvent(event);
  log({
    event: 'trtc_callback',
    kind: event.kind,
    roomType: WEBRTC_ROOM,
    roomId: event.roomId,
    ...(event.userId ? { userId: event.userId } : {}),
    at: event.at,
    outcome: result.outcome,
    ...(result.outcome === 'removed' ? { reason: 'left the TRTC room (callback 104)', trtcReason: event.reason } : {}),
    ...(result.outcome === 'refused'
      ? { reason: result.why === 'banned' ? 'entered the TRTC room while banned: removed' : 'entered the TRTC room without a seat: removed' }
      : {}),
  });
  if (result.outcome === 'removed') await performEffect(rt, WEBRTC_ROOM, event.roomId, result.effect);
  if (result.outcome === 'refused') await performEffect(rt, WEBRTC_ROOM, event.roomId, result.effect, event.userId);
}
