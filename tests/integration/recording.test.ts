/**
 * Recording rooms on Tencent's cloud (docs/recording.md), against the
 * loopback fake (TC3 checked, recording APIs answered as documented): the
 * admin start/stop and automatic recording of a webrtc_room (TRTC cloud
 * recording) and of a live_room (a live recording task per pusher stream),
 * the recording callbacks (Tencent's documented sample bodies) becoming
 * recording_ready events delivered by webhook, duplicates, late and forged
 * callbacks changing nothing, failed starts reported as recording_failed,
 * and the listing of recorded files.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readEvents, type RoomEvent } from '../../shared/events/log';
import { signatureHeader, SIGNATURE_HEADER } from '../../shared/events/webhooks';
import { recorderId } from '../../shared/recording/client';
import { sweep } from '../../shared/rooms/sweeper';
import { CLOUD, invoke, keysMatching, pushUrlFor, signIn, signedStreamCallback, sleep, startHarness, type Answer, type Harness } from '../support/harness';

const KEY = 'admin-key-0123456789-0123456789-abcdef';
const REC_KEY = 'recordingKey0123456789';
const WEBHOOK_SECRET = 'whsec-recording-0123456789';

let h: Harness;
let receiver: { url: string; events: RoomEvent[]; close(): Promise<void> };

/** A webhook receiver that keeps every event whose signature verifies. */
async function startReceiver(): Promise<typeof receiver> {
  const events: RoomEvent[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const header = String(req.headers[SIGNATURE_HEADER.toLowerCase()] ?? '');
      const t = Number(/t=(\d+)/.exec(header)?.[1]);
      if (header !== signatureHeader(WEBHOOK_SECRET, raw, t)) {
        res.writeHead(400).end();
        return;
      }
      events.push(...(JSON.parse(raw) as { events: RoomEvent[] }).events);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    events,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const settings = (extra: Record<string, string> = {}) => ({
  ADMIN_API_KEY: KEY,
  RECORD_STORAGE: 'vod',
  TRTC_RECORDING_CALLBACK_KEY: REC_KEY,
  WEBHOOK_URL: receiver.url,
  WEBHOOK_SECRET,
  ...extra,
});

beforeAll(async () => {
  receiver = await startReceiver();
  h = await startHarness(settings());
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});
beforeEach(async () => {
  await h.reconfigure({});
  await h.clean();
  h.fake.reset();
  receiver.events.length = 0;
});

function admin(method: string, path: string, options: { body?: unknown; query?: Record<string, string> } = {}): Promise<Answer> {
  return invoke(path, { method, headers: { authorization: `Bearer ${KEY}` }, query: options.query, body: options.body });
}
const recording = (type: string, roomId: string, action: unknown) => admin('POST', `/admin/rooms/${type}/${roomId}/recording`, { body: { action } });

/** The room's events of the given types, in order. */
async function eventsOf(type: string, roomId: string, kinds: string[]): Promise<RoomEvent[]> {
  const page = await readEvents(h.rt, { room: { type: type as 'webrtc_room', id: roomId }, limit: 1000 });
  return page.events.filter((e) => kinds.includes(e.type));
}

/** Waits until the receiver got an event matching `match` (webhooks go out after the request's answer). */
async function delivered(match: (e: RoomEvent) => boolean, timeoutMs = 5000): Promise<RoomEvent> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = receiver.events.find(match);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no such webhook event; got ${receiver.events.map((e) => e.type).join(', ')}`);
    await sleep(25);
  }
}

const trtcRunning = () => [...h.fake.recordings.entries()].filter(([, r]) => r.service === 'trtc' && r.running);
/** The one running TRTC recording's task id. */
const trtcTask = () => trtcRunning()[0]![0];
const liveRunning = () => [...h.fake.recordings.entries()].filter(([, r]) => r.service === 'live' && r.running);

/** A TRTC cloud recording callback as TRTC signs it (doc 647/54914): Sign = base64(HMAC-SHA256(key, raw body)). */
function recordingCallback(body: Record<string, unknown>, key = REC_KEY, sign?: string): Promise<Answer> {
  const rawBody = JSON.stringify(body);
  return invoke('/weapp/callbacks/trtc_recording', { method: 'POST', rawBody, headers: { sign: sign ?? createHmac('sha256', key).update(rawBody).digest('base64'), sdkappid: String(CLOUD.sdkAppId) } });
}

/** Tencent's documented 311 sample ("Callback for successful upload"), with this test's room and task. */
const vodCommit = (roomId: string, taskId: string, fileId = '5285890784273533167') => ({
  EventGroupId: 3,
  EventType: 311,
  CallbackTs: 1622191965320,
  EventInfo: {
    RoomId: roomId,
    EventTs: 1622191965,
    EventMsTs: 1622186275757,
    UserId: 'xx',
    TaskId: taskId,
    Payload: {
      Status: 0,
      TencentVod: { UserId: 'xx', TrackType: 'audio_video', MediaId: 'main', FileId: fileId, VideoUrl: `http://1400000000.vod2.myqcloud.com/xxxx/${fileId}/f0.mp4`, CacheFile: 'xxxx.mp4', StartTimeStamp: 1622186279153, EndTimeStamp: 1622186282153 },
    },
  },
});

/** Tencent's documented live recording sample (event_type 100), for one of this test's streams. */
const liveFile = (streamId: string, fileId = '1234567890') =>
  signedStreamCallback({
    event_type: 100,
    appid: 12345678,
    stream_id: streamId,
    channel_id: streamId,
    file_id: fileId,
    file_format: 'hls',
    task_id: 'UpTbk5RSVhRQ0xTSlNTQltlRVRLU1JAWW9EUb',
    start_time: 1545047010,
    end_time: 1545049971,
    duration: 2962,
    file_size: 277941079,
    stream_param: 'stream_param=test',
    video_url: `http://12345678.vod2.myqcloud.com/xxxx/yyyy/${fileId}.m3u8`,
  });

const enterWebrtc = (userID: string, roomID: string) => invoke('/weapp/webrtc_room/enter_room', { method: 'POST', body: { userID, roomID } });
const quitWebrtc = (userID: string, roomID: string) => invoke('/weapp/webrtc_room/quit_room', { method: 'POST', body: { userID, roomID } });

describe('webrtc_room: TRTC cloud recording', () => {
  it('admin start records the room with its own recorder, stop stops it; each with its event; state shown in the room list', async () => {
    // Prepare
    expect((await enterWebrtc('alice', '5001')).body.code).toBe(0);
    // Act
    const started = await recording('webrtc_room', '5001', 'start');
    // Assess
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ code: 0, changed: true, recording: 'recording' });
    const [taskId, task] = trtcRunning()[0]!;
    expect(task).toMatchObject({ roomId: '5001', roomIdType: 0, recorder: recorderId('webrtc_room', '5001', 1), userSigValid: true, recordMode: 2, storage: 'vod' });
    // Its PrivateMapKey: this room; create, enter and receive (1 + 2 + 8 + 32 + 128), never send.
    expect(task.privateMapKey).toEqual({ roomId: '5001', privileges: 171 });
    expect(h.fake.calls.find((c) => c.command === 'CreateCloudRecording')?.signed).toBe(true);
    const [startedEvent] = await eventsOf('webrtc_room', '5001', ['recording_started']);
    expect(startedEvent).toMatchObject({ taskId, recorder: task.recorder, storage: 'vod' });
    const list = await admin('GET', '/admin/rooms', { query: { type: 'webrtc_room' } });
    expect((list.body.rooms as { roomID: string; recording: string }[]).find((r) => r.roomID === '5001')?.recording).toBe('recording');
    // Starting again changes nothing and makes no second recorder.
    expect((await recording('webrtc_room', '5001', 'start')).body).toMatchObject({ changed: false, recording: 'recording' });
    expect(h.fake.calls.filter((c) => c.command === 'CreateCloudRecording')).toHaveLength(1);

    const stopped = await recording('webrtc_room', '5001', 'stop');
    expect(stopped.body).toMatchObject({ code: 0, changed: true, recording: 'off' });
    expect(h.fake.recordings.get(taskId)).toMatchObject({ running: false, stoppedBy: 'deleted' });
    expect(await eventsOf('webrtc_room', '5001', ['recording_stopped'])).toMatchObject([{ taskId, reason: 'admin' }]);
    await delivered((e) => e.type === 'recording_stopped' && e.roomID === '5001');
  });

  it('RECORD_ROOM_TYPES records a webrtc_room from its start and stops it when the room ends', async () => {
    await h.reconfigure({ RECORD_ROOM_TYPES: 'webrtc_room' });
    expect((await enterWebrtc('alice', 'room-auto')).body.code).toBe(0);
    const [taskId, task] = trtcRunning()[0]!;
    expect(task).toMatchObject({ roomId: 'room-auto', roomIdType: 1, privateMapKey: { roomId: 'room-auto', privileges: 171 } });
    expect((await enterWebrtc('bob', 'room-auto')).body.code).toBe(0);
    expect(trtcRunning()).toHaveLength(1); // one recorder for the room, whoever enters
    await quitWebrtc('bob', 'room-auto');
    await quitWebrtc('alice', 'room-auto'); // the last one: the room ends
    expect(h.fake.recordings.get(taskId)?.running).toBe(false);
    const events = await eventsOf('webrtc_room', 'room-auto', ['room_started', 'recording_started', 'room_finished', 'recording_stopped']);
    expect(events.map((e) => e.type)).toEqual(['room_started', 'recording_started', 'room_finished', 'recording_stopped']);
    expect(events[3]).toMatchObject({ taskId, reason: 'room_ended' });
    // The recorder left before the TRTC room was dismissed.
    const order = h.fake.calls.map((c) => c.command).filter((c) => c === 'DeleteCloudRecording' || c.startsWith('DismissRoom'));
    expect(order).toEqual(['DeleteCloudRecording', 'DismissRoomByStrRoomId']);
  });

  it("a file callback becomes recording_ready with its URL, delivered by webhook; duplicates, forged and foreign callbacks change nothing", async () => {
    await enterWebrtc('alice', '5002');
    await recording('webrtc_room', '5002', 'start');
    const taskId = trtcTask();
    const body = vodCommit('5002', taskId);

    const answer = await recordingCallback(body);
    expect(answer.status).toBe(200);
    expect(answer.body.code).toBe(0);
    const ready = await delivered((e) => e.type === 'recording_ready' && e.roomID === '5002');
    expect(ready).toMatchObject({
      roomType: 'webrtc_room',
      url: 'http://1400000000.vod2.myqcloud.com/xxxx/5285890784273533167/f0.mp4',
      fileId: '5285890784273533167',
      storage: 'vod',
      startTime: 1622186279153,
      endTime: 1622186282153,
      duration: 3,
      taskId,
      userID: 'xx',
    });
    // TRTC retries: the same file again is no second event.
    expect((await recordingCallback(body)).body.code).toBe(0);
    // Another file of the same task is an event of its own.
    expect((await recordingCallback(vodCommit('5002', taskId, '999'))).status).toBe(200);
    // Forged: wrong key, or no Sign at all.
    const forged = await recordingCallback(vodCommit('5002', taskId, '777'), 'wrongKey123');
    expect(forged.status).toBe(403);
    const unsigned = await invoke('/weapp/callbacks/trtc_recording', { method: 'POST', rawBody: JSON.stringify(vodCommit('5002', taskId, '778')), headers: {} });
    expect(unsigned.status).toBe(403);
    // A room this service never recorded.
    expect((await recordingCallback(vodCommit('424242', 'other-task', '555'))).body.code).toBe(0);
    const files = (await eventsOf('webrtc_room', '5002', ['recording_ready'])).map((e) => e.fileId);
    expect(files).toEqual(['5285890784273533167', '999']);
    expect(await eventsOf('webrtc_room', '424242', ['recording_ready'])).toEqual([]);

    // Late: the room ended and its recording stopped; the file still arrives, once.
    await quitWebrtc('alice', '5002');
    await recordingCallback(vodCommit('5002', taskId, '1001'));
    await recordingCallback(vodCommit('5002', taskId, '1001'));
    expect((await eventsOf('webrtc_room', '5002', ['recording_ready'])).map((e) => e.fileId)).toEqual(['5285890784273533167', '999', '1001']);
  });

  it('a recorder that failed to start (301 Status 1) or a failed upload is recording_failed with the reason; 302 ends it once', async () => {
    await enterWebrtc('alice', '5003');
    await recording('webrtc_room', '5003', 'start');
    const taskId = trtcTask();
    const info = { RoomId: '5003', EventTs: 1622186275, EventMsTs: 1622186275757, UserId: 'xx', TaskId: taskId };
    await recordingCallback({ EventGroupId: 3, EventType: 311, CallbackTs: 1622191965320, EventInfo: { ...info, Payload: { Status: 1, Errmsg: 'xxx', TencentVod: { UserId: '123', TrackType: 'audio_video', CacheFile: 'xxx.mp4' } } } });
    const [failed] = await eventsOf('webrtc_room', '5003', ['recording_failed']);
    expect(failed?.reason).toContain('xxx');
    // 302: the recorder left by itself (LeaveCode 99: nobody else in the room), told once.
    const leave = { EventGroupId: 3, EventType: 302, CallbackTs: 1622186354806, EventInfo: { ...info, Payload: { LeaveCode: 99 } } };
    await recordingCallback(leave);
    await recordingCallback(leave);
    const stops = await eventsOf('webrtc_room', '5003', ['recording_stopped']);
    expect(stops).toMatchObject([{ taskId, reason: 'recorder left: nobody else in the room', leaveCode: 99 }]);
    // Then stopping it asks TRTC nothing more and tells nothing twice.
    await recording('webrtc_room', '5003', 'stop');
    expect(h.fake.calls.filter((c) => c.command === 'DeleteCloudRecording')).toHaveLength(0);
    expect(await eventsOf('webrtc_room', '5003', ['recording_stopped'])).toHaveLength(1);
  });

  it("a start TRTC refuses is recording_failed with Tencent's code and message; starting again tries again", async () => {
    await enterWebrtc('alice', '5004');
    h.fake.recordingLimit = 0;
    const answer = await recording('webrtc_room', '5004', 'start');
    expect(answer.body).toMatchObject({ code: 0, changed: true, recording: 'failed' });
    const [failed] = await eventsOf('webrtc_room', '5004', ['recording_failed']);
    expect(failed).toMatchObject({ errorCode: 'FailedOperation.RestrictedConcurrency' });
    expect(failed?.reason).toContain('Maximum number of concurrent on-cloud recording tasks');
    await delivered((e) => e.type === 'recording_failed' && e.roomID === '5004');
    // The sweeper does not retry a refusal.
    await sweep(h.rt);
    expect(h.fake.calls.filter((c) => c.command === 'CreateCloudRecording')).toHaveLength(1);
    h.fake.recordingLimit = 100;
    expect((await recording('webrtc_room', '5004', 'start')).body).toMatchObject({ changed: true, recording: 'recording' });
    expect(trtcRunning()).toHaveLength(1);
  });

  it('with RECORD_STORAGE=cos the recorder uploads to the bucket, and 310 (MP4 files in COS) becomes recording_ready per file with its COS URL', async () => {
    await h.reconfigure({ RECORD_STORAGE: 'cos', RECORD_COS_BUCKET: 'media-1250000000', RECORD_COS_REGION: 'ap-guangzhou', RECORD_COS_SECRET_ID: 'AKIDcos0123456789abcdef', RECORD_COS_SECRET_KEY: 'cosSecret0123456789abcdef' });
    await enterWebrtc('alice', '5006');
    await recording('webrtc_room', '5006', 'start');
    const [taskId, task] = trtcRunning()[0]!;
    expect(task.storage).toBe('cos');
    const storage = (h.fake.calls.find((c) => c.command === 'CreateCloudRecording')!.body as { StorageParams: unknown }).StorageParams;
    expect(storage).toEqual({ CloudStorage: { Vendor: 0, Region: 'ap-guangzhou', Bucket: 'media-1250000000', AccessKey: 'AKIDcos0123456789abcdef', SecretKey: 'cosSecret0123456789abcdef', FileNamePrefix: ['recordings'] } });
    // Tencent's documented 310 sample, with this room and task.
    const body = {
      EventGroupId: 3, EventType: 310, CallbackTs: 1622191965320,
      EventInfo: {
        RoomId: '5006', EventTs: 1622191989, EventMsTs: 1622186275757, UserId: 'xx', TaskId: taskId,
        Payload: {
          Status: 0,
          FileList: ['xxxx1.mp4', 'xxxx2.mp4'],
          FileMessage: [
            { FileName: 'xxxx1.mp4', UserId: 'xxxx', TrackType: 'audio_video', MediaId: 'main', StartTimeStamp: 1622186279145, EndTimeStamp: 1622186282145 },
            { FileName: 'xxxx2.mp4', UserId: 'xxxx', TrackType: 'audio_video', MediaId: 'main', StartTimeStamp: 1622186279153, EndTimeStamp: 1622186282153 },
          ],
        },
      },
    };
    await recordingCallback(body);
    await recordingCallback(body);
    const files = await eventsOf('webrtc_room', '5006', ['recording_ready']);
    expect(files.map((e) => e.url)).toEqual([1, 2].map((n) => `https://media-1250000000.cos.ap-guangzhou.myqcloud.com/recordings/${encodeURIComponent(taskId)}/xxxx${n}.mp4`));
    expect(files[0]).toMatchObject({ storage: 'cos', duration: 3, userID: 'xxxx', startTime: 1622186279145 });
  });

  it('a start without an answer stays due and is made by the sweeper, once', async () => {
    await enterWebrtc('alice', '5005');
    h.fake.failNext('CreateCloudRecording', 1, { httpStatus: 503 });
    expect((await recording('webrtc_room', '5005', 'start')).body).toMatchObject({ recording: 'starting' });
    expect(await eventsOf('webrtc_room', '5005', ['recording_started', 'recording_failed'])).toEqual([]);
    // Its retry is due RECORDING_RETRY_MS later: make it due now (the clock, not the rule, is what the test skips).
    const box = `${h.prefix}:`;
    const keys = (await keysMatching(h.rt, `${box}*recbox`)).filter((k) => k.includes('webrtc_room'));
    for (const key of keys) await h.rt.redis.zadd(key, 0, '5005');
    const report = await sweep(h.rt);
    expect(report.recordings).toBeGreaterThanOrEqual(1);
    expect(trtcRunning()).toHaveLength(1);
    await sweep(h.rt);
    expect(h.fake.calls.filter((c) => c.command === 'CreateCloudRecording' && c.signed)).toHaveLength(2); // the failed one and the one that worked
    expect(await eventsOf('webrtc_room', '5005', ['recording_started'])).toHaveLength(1);
  });
});

describe('live_room: a live recording task per pusher stream', () => {
  const stream = (userId: string) => new URL(pushUrlFor(userId)).pathname.split('/').pop()!;

  it('admin start records every pusher stream, a newcomer gets its own task, the room ending stops them all', async () => {
    const [host, guest, late] = [await signIn('host'), await signIn('guest'), await signIn('late')];
    for (const c of [host, guest]) {
      expect((await c.call('live_room', 'add_pusher', { roomID: 'live-1', userName: c.userId, userAvatar: '', pushURL: pushUrlFor(c.userId) })).body.code).toBe(0);
    }
    const answer = await recording('live_room', 'live-1', 'start');
    expect(answer.body).toMatchObject({ code: 0, recording: 'recording' });
    expect(liveRunning().map(([, r]) => r.streamName).sort()).toEqual([stream('host'), stream('guest')].sort());
    for (const [, task] of liveRunning()) expect(task.endTime! - Date.now() / 1000).toBeLessThanOrEqual(24 * 3600);
    expect(h.fake.calls.filter((c) => c.command === 'CreateRecordTask').every((c) => c.signed)).toBe(true);
    const started = await eventsOf('live_room', 'live-1', ['recording_started']);
    expect(started.map((e) => e.streamID).sort()).toEqual([stream('host'), stream('guest')].sort());

    expect((await late.call('live_room', 'add_pusher', { roomID: 'live-1', userName: 'late', userAvatar: '', pushURL: pushUrlFor('late') })).body.code).toBe(0);
    expect(liveRunning().map(([, r]) => r.streamName)).toContain(stream('late'));

    // A live room ends with its creator.
    await host.call('live_room', 'delete_pusher', { roomID: 'live-1' });
    expect(liveRunning()).toEqual([]);
    const stopped = await eventsOf('live_room', 'live-1', ['recording_stopped']);
    expect(stopped).toHaveLength(3);
    expect(stopped.every((e) => e.reason === 'room_ended')).toBe(true);
  });

  it('RECORD_ROOM_TYPES records a live room from its first pusher', async () => {
    await h.reconfigure({ RECORD_ROOM_TYPES: 'live_room' });
    const host = await signIn('host');
    await host.call('live_room', 'add_pusher', { roomID: 'live-auto', userName: 'h', userAvatar: '', pushURL: pushUrlFor('host') });
    expect(liveRunning().map(([, r]) => r.streamName)).toEqual([stream('host')]);
    expect(await eventsOf('live_room', 'live-auto', ['recording_started'])).toHaveLength(1);
  });

  it('a recording file callback (event_type 100) becomes recording_ready with its URL, by webhook; duplicates and forged ones change nothing', async () => {
    const host = await signIn('host');
    await host.call('live_room', 'add_pusher', { roomID: 'live-2', userName: 'h', userAvatar: '', pushURL: pushUrlFor('host') });
    await recording('live_room', 'live-2', 'start');
    const file = liveFile(stream('host'));
    const answer = await invoke('/weapp/callbacks/live_stream', { method: 'POST', body: file });
    expect(answer.status).toBe(200);
    const ready = await delivered((e) => e.type === 'recording_ready' && e.roomID === 'live-2');
    expect(ready).toMatchObject({
      roomType: 'live_room',
      userID: 'host',
      streamID: stream('host'),
      url: 'http://12345678.vod2.myqcloud.com/xxxx/yyyy/1234567890.m3u8',
      fileId: '1234567890',
      duration: 2962,
      size: 277941079,
      startTime: 1545047010000,
      endTime: 1545049971000,
    });
    await invoke('/weapp/callbacks/live_stream', { method: 'POST', body: file });
    const forged = await invoke('/weapp/callbacks/live_stream', { method: 'POST', body: { ...liveFile(stream('host'), '42'), sign: '0'.repeat(32) } });
    expect(forged.status).toBe(403);
    const expired = await invoke('/weapp/callbacks/live_stream', { method: 'POST', body: signedStreamCallback({ ...liveFile(stream('host'), '43'), t: undefined }, { t: Math.floor(Date.now() / 1000) - 5 }) });
    expect(expired.status).toBe(403);
    expect((await eventsOf('live_room', 'live-2', ['recording_ready'])).map((e) => e.fileId)).toEqual(['1234567890']);

    // Listing: the room's files, within the window.
    const listed = await admin('GET', '/admin/recordings', { query: { room: 'live_room/live-2' } });
    expect(listed.body.recordings).toMatchObject([{ fileId: '1234567890', url: ready.url }]);
    const none = await admin('GET', '/admin/recordings', { query: { room: 'live_room/live-2', from: '2019-01-01T00:00:00Z' } });
    expect(none.body.recordings).toEqual([]);
    const inWindow = await admin('GET', '/admin/recordings', { query: { from: '1545047000000', to: '2018-12-18T00:00:00Z' } });
    expect((inWindow.body.recordings as RoomEvent[]).map((e) => e.fileId)).toEqual(['1234567890']);
  });

  it("a task the live platform refuses is recording_failed with Tencent's code", async () => {
    const host = await signIn('host');
    await host.call('live_room', 'add_pusher', { roomID: 'live-3', userName: 'h', userAvatar: '', pushURL: pushUrlFor('host') });
    h.fake.failNext('CreateRecordTask', 1, { errorCode: 'ResourceUnavailable.InvalidVodStatus' });
    expect((await recording('live_room', 'live-3', 'start')).body).toMatchObject({ recording: 'failed' });
    const [failed] = await eventsOf('live_room', 'live-3', ['recording_failed']);
    expect(failed).toMatchObject({ errorCode: 'ResourceUnavailable.InvalidVodStatus', streamID: stream('host') });
    await delivered((e) => e.type === 'recording_failed' && e.roomID === 'live-3');
  });
});

describe('the recording route refuses what it cannot do', () => {
  it('names a bad action, a room nobody entered, and recording not configured', async () => {
    const bad = await recording('webrtc_room', '6001', 'pause');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('action');
    const missing = await recording('webrtc_room', '6001', 'start');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe(3);
    const badWindow = await admin('GET', '/admin/recordings', { query: { from: 'yesterday' } });
    expect(badWindow.status).toBe(400);
    expect(badWindow.body.message).toContain('from');
    await h.reconfigure({ RECORD_STORAGE: '', TRTC_RECORDING_CALLBACK_KEY: '' });
    await enterWebrtc('alice', '6002');
    const off = await recording('webrtc_room', '6002', 'start');
    expect(off.status).toBe(409);
    expect(off.body).toMatchObject({ code: 5005 });
    expect(off.body.message).toContain('RECORD_STORAGE');
    // Without its key the TRTC recording callback is refused.
    expect((await recordingCallback(vodCommit('6002', 't'))).status).toBe(403);
  });
});
