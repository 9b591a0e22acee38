/**
 * The recording calls of Cloud API 3.0 (docs/recording.md cites each):
 * - webrtc_room: TRTC cloud recording, `CreateCloudRecording` /
 *   `DeleteCloudRecording` (trtc 2019-07-22, doc 647/73786). A recorder joins
 *   the room as a user of its own (its own UserSig) and mixes every member
 *   into one file (RecordMode 2), stored in VOD or a COS bucket.
 * - stream rooms: live recording tasks, `CreateRecordTask` / `StopRecordTask`
 *   (live 2018-08-01, doc 267/45983), one per pusher stream; the files go to
 *   VOD (the live platform's own storage).
 * Same credentials, TC3 signing and transport as every Cloud API call
 * (shared/cloud/client.ts).
 */
import { createHash } from 'node:crypto';
import { CloudApiError, type CloudApi } from '../cloud/client';
import type { RecordingConfig } from '../config';
import { AppError } from '../errors';
import { issueUserSig, type UserSigKey } from '../sign/usersig';
import { TRTC_SERVICE } from '../trtc/client';
import { issuePrivateMapKey, PRIVILEGE } from '../trtc/private-map-key';
import { trtcRoomId } from '../trtc/room-id';
import { LIVE_SERVICE } from '../live/client';

/**
 * The recorder leaves a room nobody publishes in after this long (MaxIdleTime):
 * long enough for a member who just got the room's key to enter TRTC; a room
 * that ends is stopped explicitly anyway.
 */
const RECORDER_MAX_IDLE_SECONDS = 120;
/**
 * The recorder's room privileges: enter, receive every kind of stream, and
 * create (an automatic recording may start before any member reached TRTC).
 */
const RECORDER_PRIVILEGES = PRIVILEGE.CREATE | PRIVILEGE.ENTER | PRIVILEGE.RECEIVE_AUDIO | PRIVILEGE.RECEIVE_VIDEO | PRIVILEGE.RECEIVE_SUB;
/** How long the recorder's UserSig and PrivateMapKey are good for (it may enter again after a failover, 306). */
const RECORDER_TICKET_SECONDS = 24 * 3600;
/** A recording task covers at most 24 hours (CreateRecordTask: EndTime - StartTime <= 24 h). */
export const LIVE_TASK_MAX_SECONDS = 24 * 3600;
/** The push path of every stream this service signs (`rtmp://{domain}/live/{stream}`). */
const APP_NAME = 'live';
/** CreateRecordTask names ap-guangzhou as its region (doc 267/45983). */
const LIVE_RECORD_REGION = 'ap-guangzhou';

/**
 * Failures that may pass: no answer, Tencent's internal errors, rate limits.
 * The work stays due and is retried; anything else is final for this start.
 */
export function recordingCallRetryable(error: unknown): boolean {
  if (!(error instanceof CloudApiError)) return !(error instanceof AppError); // a missing credential is final
  if (error.errorCode === undefined) return true;
  return error.errorCode.startsWith('InternalError') || error.errorCode === 'RequestLimitExceeded' || error.errorCode === 'LimitExceeded.MaximumRunningTask';
}

/** Answers to a stop meaning the task is over already (nothing left to stop). */
const GONE_CODES = new Set(['ResourceNotFound', 'InvalidParameter.TaskId', 'ResourceNotFound.TaskId']);
export const recordingGone = (error: unknown): boolean => error instanceof CloudApiError && error.errorCode !== undefined && GONE_CODES.has(error.errorCode);

export interface RecordingClient {
  /** Starts the TRTC room's recorder `recorderId`; answers the task id. */
  startRoom(roomId: string, recorderId: string): Promise<string>;
  stopRoom(taskId: string): Promise<void>;
  /** Starts recording a pushed stream until `endTime` (Unix seconds); answers the task id. */
  startStream(streamName: string, endTime: number): Promise<string>;
  stopStream(taskId: string): Promise<void>;
}

/** A recorder's TRTC user id: unique per room and start (TRTC: a second recorder of the same id replaces the first), at most 32 bytes. */
export function recorderId(type: string, roomId: string, generation: number): string {
  return `recorder_${createHash('sha256').update(`${type}/${roomId}`).digest('hex').slice(0, 12)}_${generation}`;
}

function storageParams(storage: RecordingConfig['storage']): Record<string, unknown> {
  if (storage.kind === 'vod') return { CloudVod: { TencentVod: storage.subAppId === undefined ? {} : { SubAppId: storage.subAppId } } };
  // Vendor 0: Tencent COS; files land under <prefix>/<TaskId>/ (doc 647/73786, FileNamePrefix).
  return { CloudStorage: { Vendor: 0, Region: storage.region, Bucket: storage.bucket, AccessKey: storage.secretId, SecretKey: storage.secretKey, FileNamePrefix: [storage.prefix] } };
}

const taskIdOf = (api: string, response: Record<string, unknown>): string => {
  const id = response.TaskId;
  if (typeof id !== 'string' || id === '') throw new CloudApiError(api, 'answer has no TaskId');
  return id;
};

export function createRecordingClient(
  cloud: CloudApi,
  settings: { recording: RecordingConfig; userSigKey: UserSigKey; trtcRegion: string; pushDomain: string; liveRegion: string | undefined },
): RecordingClient {
  const trtc = cloud.service(TRTC_SERVICE.service, TRTC_SERVICE.version, { region: settings.trtcRegion });
  const live = cloud.service(LIVE_SERVICE.service, LIVE_SERVICE.version, { region: settings.liveRegion ?? LIVE_RECORD_REGION });
  const { recording, userSigKey } = settings;
  return {
    async startRoom(roomId, recorder) {
      const numeric = trtcRoomId(roomId);
      const response = await trtc.call('CreateCloudRecording', {
        SdkAppId: userSigKey.sdkAppId,
        RoomId: roomId,
        // 0: the room id is an integer (webrtcroom.js's rooms), 1: a string (trtc/room-id.ts decides, as for the room APIs).
        RoomIdType: numeric === undefined ? 1 : 0,
        UserId: recorder,
        UserSig: issueUserSig(userSigKey, recorder, RECORDER_TICKET_SECONDS),
        // With the console's permission key on (docs/trtc-rooms.md recommends it) TRTC lets nobody in without one.
        PrivateMapKey: issuePrivateMapKey({ ...userSigKey, userId: recorder, roomId, privilegeMap: RECORDER_PRIVILEGES, creator: false, ttlSeconds: RECORDER_TICKET_SECONDS }),
        RecordParams: { RecordMode: 2, MaxIdleTime: RECORDER_MAX_IDLE_SECONDS, StreamType: 0 },
        StorageParams: storageParams(recording.storage),
      });
      return taskIdOf('trtc CreateCloudRecording', response);
    },
    async stopRoom(taskId) {
      await trtc.call('DeleteCloudRecording', { SdkAppId: userSigKey.sdkAppId, TaskId: taskId });
    },
    async startStream(streamName, endTime) {
      const response = await live.call('CreateRecordTask', {
        StreamName: streamName,
        DomainName: settings.pushDomain,
        AppName: APP_NAME,
        EndTime: endTime,
        StreamType: 0,
        ...(recording.liveTemplateId !== undefined ? { TemplateId: recording.liveTemplateId } : {}),
      });
      return taskIdOf('live CreateRecordTask', response);
    },
    async stopStream(taskId) {
      await live.call('StopRecordTask', { TaskId: taskId });
    },
  };
}
