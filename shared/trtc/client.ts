/**
 * The TRTC room management calls (Cloud API 3.0, service `trtc`, version
 * 2019-07-22; TENCENT.md §5): dismissing a room and removing users from it.
 * A room id the service treats as numeric (trtcRoomId) goes to the numeric
 * actions (`DismissRoom`, `RemoveUser`, integer `RoomId`), any other to the
 * string ones (`DismissRoomByStrRoomId`, `RemoveUserByStrRoomId`). Same
 * credentials and transport as the live API (shared/cloud/client.ts).
 */
import { CloudApiError, type CloudApi } from '../cloud/client';
import { trtcRoomId } from './room-id';

export const TRTC_SERVICE = { service: 'trtc', version: '2019-07-22' } as const;

/** `RemoveUser*` takes at most this many users per call. */
const MAX_USERS_PER_CALL = 10;

/**
 * Answers meaning "nothing left to do": the room is gone already (everyone
 * left, or it was never entered), or the user is not in it. An effect that
 * gets one of these is done, not retried.
 */
const DONE_CODES = new Set(['FailedOperation.RoomNotExist', 'FailedOperation.UserNotExist', 'ResourceNotFound', 'InvalidParameter.RoomId', 'InvalidParameterValue.RoomId']);

export const trtcCallSettled = (error: unknown): boolean => error instanceof CloudApiError && error.errorCode !== undefined && DONE_CODES.has(error.errorCode);

export interface TrtcClient {
  dismissRoom(roomId: string): Promise<void>;
  removeUsers(roomId: string, userIds: readonly string[]): Promise<void>;
}

export function createTrtcClient(cloud: CloudApi, settings: { sdkAppId: number; region: string }): TrtcClient {
  const trtc = cloud.service(TRTC_SERVICE.service, TRTC_SERVICE.version, { region: settings.region });
  const target = (roomId: string) => {
    const numeric = trtcRoomId(roomId);
    return numeric === undefined ? { suffix: 'ByStrRoomId', RoomId: roomId } : { suffix: '', RoomId: numeric };
  };
  return {
    async dismissRoom(roomId) {
      const { suffix, RoomId } = target(roomId);
      await trtc.call(`DismissRoom${suffix}`, { SdkAppId: settings.sdkAppId, RoomId });
    },
    async removeUsers(roomId, userIds) {
      const { suffix, RoomId } = target(roomId);
      for (let i = 0; i < userIds.length; i += MAX_USERS_PER_CALL) {
        await trtc.call(`RemoveUser${suffix}`, { SdkAppId: settings.sdkAppId, RoomId, UserIds: userIds.slice(i, i + MAX_USERS_PER_CALL) });
      }
    },
  };
}

type Log = (event: Record<string, unknown>) => void;

/** For `npm start` without cloud API credentials: the calls are logged, not made. */
export function createOfflineTrtcClient(log: Log): TrtcClient {
  const skipped = (action: string, detail: Record<string, unknown>) => log({ event: 'cloud_call_skipped', service: 'trtc', action, ...detail, reason: 'no cloud API credentials' });
  return {
    async dismissRoom(roomId) {
      skipped('DismissRoom', { roomId });
    },
    async removeUsers(roomId, userIds) {
      skipped('RemoveUser', { roomId, userIds });
    },
  };
}
