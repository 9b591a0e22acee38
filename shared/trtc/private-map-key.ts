/**
 * PrivateMapKey: TRTC's room entry ticket (TENCENT.md §5, trtc.io/document/35157),
 * a UserSig carrying `TLS.userbuf` that binds user, room, expiry and a
 * privilege bitmap. Issued with Tencent's `tls-sig-api-v2` for exactly the
 * room id the client enters with: `genPrivateMapKey` for a numeric TRTC room,
 * `genPrivateMapKeyWithStringRoomID` for a string one (room-id.ts decides).
 * Only webrtc_room endpoints call this, after the store let the user in.
 */
import { tlsSigApi } from '../sign/usersig';
import { trtcRoomId } from './room-id';

/** Privilege bits (TENCENT.md §5). */
export const PRIVILEGE = {
  CREATE: 1,
  ENTER: 2,
  SEND_AUDIO: 4,
  RECEIVE_AUDIO: 8,
  SEND_VIDEO: 16,
  RECEIVE_VIDEO: 32,
  SEND_SUB: 64,
  RECEIVE_SUB: 128,
} as const;

export interface PrivateMapKeyInput {
  sdkAppId: number;
  secretKey: string;
  userId: string;
  roomId: string;
  /** The configured member privileges (TRTC_PRIVILEGE_MAP). */
  privilegeMap: number;
  /** The room's creator also gets CREATE. */
  creator: boolean;
  ttlSeconds: number;
}

export function issuePrivateMapKey(input: PrivateMapKeyInput): string {
  const TlsSigApi = tlsSigApi();
  const api = new TlsSigApi(input.sdkAppId, input.secretKey);
  const privileges = input.privilegeMap | (input.creator ? PRIVILEGE.CREATE : 0);
  const ttl = Math.floor(input.ttlSeconds);
  const numeric = trtcRoomId(input.roomId);
  return numeric === undefined
    ? api.genPrivateMapKeyWithStringRoomID(input.userId, ttl, input.roomId, privileges)
    : api.genPrivateMapKey(input.userId, ttl, numeric, privileges);
}
