/**
 * Tencent's recording callbacks, read into the recording events they mean
 * (docs/recording.md cites the documents):
 * - TRTC cloud recording (doc 647/54914): EventGroupId 3; 301 recorder
 *   started (Status 1: it failed to), 302 recorder left (LeaveCode), 310 MP4
 *   files stored in COS (FileMessage), 311 a file stored in VOD (TencentVod;
 *   Status not 0: the upload failed). Signed like the room callbacks: header
 *   `Sign` = base64(HMAC-SHA256(key, raw body)), with a key of its own.
 * - Live recording files (doc 267/32744, "录制事件通知"): `event_type` 100 on
 *   the stream callback URL, signed `sign = md5(key + t)` like push/stop.
 * Each is applied once by recordingCallback (shared/rooms/recording-store.ts).
 */
import { ROOM_TYPES, WEBRTC_ROOM, type RecordingConfig, type RoomType } from '../config';
import { log } from '../log';
import { storeCall } from '../redis';
import type { Runtime } from '../services';
import { allPartitions, partitionBase, streamKey } from '../rooms/keys';
import { TRTC_TARGET, type RecordingNotice } from '../rooms/recording-store';
import { eventFields } from './events';

type Fields = Record<string, unknown>;
const objectOf = (value: unknown): Fields | undefined => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : undefined);
const integerOf = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
const textOf = (value: unknown, max = 1024): string | undefined => (typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined);

const ROOM_ID = /^[A-Za-z0-9_@.:-]{1,48}$/;
const TASK_ID = /^[\x21-\x7e]{1,256}$/;

/** Why a TRTC recorder left (302 LeaveCode, doc 647/54914). */
const LEAVE_CODES: Record<number, string> = {
  0: 'stopped',
  1: 'removed by a client',
  2: 'room dismissed by a client',
  3: 'removed by the server',
  4: 'room dismissed by the server',
  99: 'nobody else in the room',
  100: 'timed out',
  101: 'replaced by a recorder of the same user id',
};

/** A TRTC cloud recording callback: the room it concerns and its notices, or why it is none of ours. */
export function readTrtcRecording(
  body: Fields,
  sdkAppId: number,
  headerAppId: string | undefined,
  storage: RecordingConfig['storage'] | undefined,
): { roomId: string; notices: RecordingNotice[] } | { ignored: string } {
  if (headerAppId !== undefined && headerAppId !== String(sdkAppId)) return { ignored: 'another SdkAppId' };
  if (integerOf(body.EventGroupId) !== 3) return { ignored: `EventGroupId ${String(body.EventGroupId)}` };
  const type = integerOf(body.EventType);
  const info = objectOf(body.EventInfo);
  if (!info) return { ignored: 'no EventInfo' };
  const rawRoom = info.RoomId;
  const roomId = typeof rawRoom === 'number' && Number.isSafeInteger(rawRoom) ? String(rawRoom) : rawRoom;
  if (typeof roomId !== 'string' || !ROOM_ID.test(roomId)) return { ignored: 'not a room id this service issues' };
  const taskId = textOf(info.TaskId, 256);
  if (!taskId || !TASK_ID.test(taskId)) return { ignored: 'no TaskId' };
  const payload = objectOf(info.Payload) ?? {};
  const recorder = textOf(info.UserId, 64);
  const base = { taskId, target: TRTC_TARGET };
  switch (type) {
    case 301: {
      if (integerOf(payload.Status) !== 1) return { ignored: 'recorder started' }; // recording_started came with the task id
      const reason = 'the recorder failed to start (TRTC 301 Status 1)';
      return { roomId, notices: [{ kind: 'failed', unique: `${taskId}:301`, reason, userId: '', fields: eventFields({ taskId, recorder }), ...base }] };
    }
    case 302: {
      const code = integerOf(payload.LeaveCode);
      const reason = `recorder left: ${code === undefined ? 'unknown' : (LEAVE_CODES[code] ?? `LeaveCode ${code}`)}`;
      return { roomId, notices: [{ kind: 'stopped', unique: `${taskId}:302`, reason, userId: '', fields: eventFields({ taskId, recorder, leaveCode: code }), ...base }] };
    }
    case 310: {
      // MP4 files in the COS bucket, under <prefix>/<TaskId>/ (CreateCloudRecording FileNamePrefix).
      if (integerOf(payload.Status) === 2) {
        return { roomId, notices: [{ kind: 'failed', unique: `${taskId}:310`, reason: 'the MP4 recording ended abnormally (TRTC 310 Status 2)', userId: '', fields: eventFields({ taskId }), ...base }] };
      }
      const files = Array.isArray(payload.FileMessage) ? payload.FileMessage.map(objectOf).filter((f): f is Fields => f !== undefined) : [];
      const notices: RecordingNotice[] = [];
      for (const file of files) {
        const name = textOf(file.FileName, 512);
        if (!name || name.includes('..')) continue;
        const start = integerOf(file.StartTimeStamp);
        const end = integerOf(file.EndTimeStamp);
        const url = storage?.kind === 'cos' ? `https://${storage.bucket}.cos.${storage.region}.myqcloud.com/${storage.prefix}/${encodeURIComponent(taskId)}/${name.split('/').map(encodeURIComponent).join('/')}` : undefined;
        const user = textOf(file.UserId, 64);
        notices.push({
          kind: 'ready',
          unique: `${taskId}/${name}`,
          reason: '',
          userId: user ?? '',
          fields: eventFields({ url, fileName: name, storage: 'cos', startTime: start, endTime: end, duration: start !== undefined && end !== undefined ? Math.round((end - start) / 1000) : undefined, trackType: textOf(file.TrackType, 32), taskId }),
          ...base,
        });
      }
      return notices.length > 0 ? { roomId, notices } : { ignored: '310 without files' };
    }
    case 311: {
      const vod = objectOf(payload.TencentVod) ?? {};
      const status = integerOf(payload.Status);
      const fileId = textOf(vod.FileId, 128);
      const cacheFile = textOf(vod.CacheFile, 512);
      const user = textOf(vod.UserId, 64) ?? '';
      if (status !== 0) {
        const reason = `uploading to VOD failed (TRTC 311 Status ${String(status)}): ${textOf(payload.Errmsg, 512) ?? 'no message'}`;
        return { roomId, notices: [{ kind: 'failed', unique: `${taskId}:311:${cacheFile ?? fileId ?? ''}`, reason, userId: user, fields: eventFields({ taskId, fileName: cacheFile }), ...base, target: `upload:${cacheFile ?? ''}` }] };
      }
      const url = textOf(vod.VideoUrl, 2048);
      if (!fileId || !url) return { ignored: '311 without FileId or VideoUrl' };
      const start = integerOf(vod.StartTimeStamp);
      const end = integerOf(vod.EndTimeStamp);
      return {
        roomId,
        notices: [
          {
            kind: 'ready',
            unique: fileId,
            reason: '',
            userId: user,
            fields: eventFields({ url, fileId, fileName: cacheFile, storage: 'vod', startTime: start, endTime: end, duration: start !== undefined && end !== undefined ? Math.round((end - start) / 1000) : undefined, trackType: textOf(vod.TrackType, 32), taskId }),
            ...base,
          },
        ],
      };
    }
    default:
      return { ignored: `EventType ${String(body.EventType)}` };
  }
}

/** A live recording file callback (event_type 100): the stream it recorded and its notice. */
export function readLiveRecordingFile(body: Fields, bizid: string): { streamId: string; notice: Omit<RecordingNotice, 'userId'> } | { ignored: string } {
  const streamId = body.stream_id;
  if (typeof streamId !== 'string' || !/^[A-Za-z0-9_@.:-]{1,200}$/.test(streamId) || !streamId.startsWith(`${bizid}_`)) return { ignored: 'not a stream of this bizid' };
  const url = textOf(body.video_url, 2048)?.trim();
  const fileId = textOf(body.file_id, 128) ?? (typeof body.file_id === 'number' ? String(body.file_id) : undefined);
  if (!url || !fileId) return { ignored: 'no video_url or file_id' };
  const taskId = textOf(body.task_id, 256) ?? '';
  const start = integerOf(body.start_time);
  const end = integerOf(body.end_time);
  return {
    streamId,
    notice: {
      kind: 'ready',
      unique: fileId,
      taskId,
      target: streamId,
      reason: '',
      fields: eventFields({
        url,
        fileId,
        storage: 'vod',
        fileFormat: textOf(body.file_format, 16),
        // Seconds in the callback; milliseconds in every event, as TRTC's files.
        startTime: start === undefined ? undefined : start * 1000,
        endTime: end === undefined ? undefined : end * 1000,
        duration: integerOf(body.duration),
        size: integerOf(body.file_size),
        streamID: streamId,
        taskId,
      }),
    },
  };
}

/** Applies notices about a room; logs what each did. */
export async function applyRecordingNotices(rt: Runtime, type: RoomType, roomId: string, notices: RecordingNotice[]): Promise<void> {
  for (const notice of notices) {
    const outcome = await rt.recordings.notice(type, roomId, notice);
    log({ event: 'recording_callback', roomType: type, roomId, kind: notice.kind, taskId: notice.taskId, outcome });
  }
}

/** The room whose seat pushed `streamId` (its stream record, kept a day after the last seat or callback). */
async function streamRoom(rt: Runtime, streamId: string): Promise<{ type: RoomType; roomId: string; userId: string } | undefined> {
  for (const p of allPartitions()) {
    const record = await storeCall(rt.redis.hgetall(streamKey(rt.config.keyPrefix, streamId, p)));
    const type = ROOM_TYPES.find((t) => partitionBase(rt.config.keyPrefix, t, p) === record.base);
    if (type && record.room) return { type, roomId: record.room, userId: record.user ?? '' };
  }
  return undefined;
}

/** event_type 100: a file of a stream this service records becomes its room's recording_ready. */
export async function applyLiveRecordingFile(rt: Runtime, body: Fields): Promise<void> {
  const file = readLiveRecordingFile(body, rt.config.live.bizid);
  if ('ignored' in file) {
    log({ event: 'live_callback_ignored', reason: file.ignored });
    return;
  }
  const room = await streamRoom(rt, file.streamId);
  if (!room || room.type === WEBRTC_ROOM) {
    log({ event: 'recording_callback', streamId: file.streamId, outcome: 'unknown' });
    return;
  }
  await applyRecordingNotices(rt, room.type, room.roomId, [{ ...file.notice, userId: room.userId }]);
}
