/**
 * A loopback fake of the Tencent APIs the service calls: IM REST (`/v4/...`)
 * and Cloud API 3.0 (`POST /`, the `live` actions, the `trtc` room management ones and
 * the recording ones of both: CreateCloudRecording / DeleteCloudRecording,
 * CreateRecordTask / StopRecordTask). It checks the signatures
 * as the real services do (TC3-HMAC-SHA256 with its own implementation here,
 * independent of shared/cloud), keeps the state tests assert on (groups,
 * notifications, live streams, mix sessions) and can be told to fail, stall,
 * rate-limit the next calls, or refuse an IM API for this account.
 */
import { createHash, createHmac } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyUserSig } from '../../shared/sign/usersig';

export interface RecordedCall {
  api: 'im' | 'cloud';
  /** IM: the command (`create_group`); Cloud API: the action (`CreateCommonMixStream`). */
  command: string;
  query: Record<string, string>;
  body: unknown;
  /** Cloud API calls: whether the TC3 signature was accepted. */
  signed?: boolean;
}

export interface FailureBehaviour {
  /** IM ErrorCode (IM) or `Response.Error.Code` (Cloud API) to answer with. */
  errorCode?: number | string;
  /** HTTP status to answer with (takes precedence over errorCode). */
  httpStatus?: number;
  /** Wait this long before answering; alone, the call then succeeds normally (late). */
  delayMs?: number;
  /** Handle the call at once but hold its answer this long (the effect lands before the caller knows). */
  replyDelayMs?: number;
}

export interface FakeCloud {
  imBaseUrl: string;
  /** CLOUD_API_BASE_URL: every Cloud API 3.0 service on this origin. */
  cloudBaseUrl: string;
  calls: RecordedCall[];
  groups: Set<string>;
  /** Groups that exist but belong to another owner (create_group answers 10021). */
  foreignGroups: Set<string>;
  notifications: { groupId: string; mode: 'system' | 'custom'; content: string }[];
  /** Streams being pushed (`DescribeLiveStreamState` answers active), as `{domain}/{app}/{stream}` or bare stream names. */
  liveStreams: Set<string>;
  /** Running mixes by MixStreamSessionId. */
  mixSessions: Map<string, { output: string; inputs: { name: string; layer: number }[] }>;
  /** TRTC management calls that were accepted, in order: `{action, roomId (as sent), userIds?}`. */
  trtcCalls: { action: string; roomId: string | number; userIds?: string[] }[];
  /** Recording tasks by TaskId (CreateCloudRecording, CreateRecordTask), running or not. */
  recordings: Map<string, FakeRecording>;
  /** Running recordings allowed at once (TRTC: FailedOperation.RestrictedConcurrency; live: LimitExceeded.MaximumRunningTask). */
  recordingLimit: number;
  /** The next `howMany` calls of `command` behave as described. */
  failNext(command: string, howMany: number, behaviour: FailureBehaviour): void;
  /** Every later call of IM `command` answers `errorCode` (an API this account may not use). */
  refuse(command: string, errorCode: number): void;
  reset(): void;
  close(): Promise<void>;
}

/** A recording task as the fake keeps it. */
export interface FakeRecording {
  service: 'trtc' | 'live';
  /** TRTC: the room (as sent) and its id type; the recorder's user id, whether its UserSig verified, the storage asked for. */
  roomId?: string;
  roomIdType?: number;
  recorder?: string;
  userSigValid?: boolean;
  /** The PrivateMapKey's room and privileges, decoded (Tencent base64, zlib, JSON, the userbuf). */
  privateMapKey?: { roomId: string; privileges: number };
  recordMode?: number;
  storage?: 'vod' | 'cos';
  /** live: the stream recorded and the task's end (Unix s). */
  streamName?: string;
  endTime?: number;
  running: boolean;
  /** Why it stopped: 'deleted' (Delete/StopRecordTask) or 'replaced' (a recorder of the same user id entered the room). */
  stoppedBy?: 'deleted' | 'replaced';
}

export interface FakeCloudOptions {
  sdkAppId: number;
  secretKey: string;
  administrator: string;
  /** Cloud API key pairs it accepts; a `token` makes it a temporary credential (X-TC-Token required). */
  cloudCredentials: { secretId: string; secretKey: string; token?: string }[];
}

// IM error codes the fake answers with (the real service's numbers).
const IM_SIG_INVALID = 70003;
const IM_INVALID_PARAM = 10004;
const IM_GROUP_EXISTS = 10021;
const IM_GROUP_OURS = 10025;
const IM_GROUP_MISSING = 10010;
const IM_BAD_JSON = 90001;

/** Which service each Cloud API action belongs to, at which version. */
const CLOUD_ACTIONS: Record<string, { service: string; version: string }> = {
  DescribeLiveStreamState: { service: 'live', version: '2018-08-01' },
  CreateCommonMixStream: { service: 'live', version: '2018-08-01' },
  CreateRecordTask: { service: 'live', version: '2018-08-01' },
  StopRecordTask: { service: 'live', version: '2018-08-01' },
  CreateCloudRecording: { service: 'trtc', version: '2019-07-22' },
  DeleteCloudRecording: { service: 'trtc', version: '2019-07-22' },
  CancelCommonMixStream: { service: 'live', version: '2018-08-01' },
  DismissRoom: { service: 'trtc', version: '2019-07-22' },
  DismissRoomByStrRoomId: { service: 'trtc', version: '2019-07-22' },
  RemoveUser: { service: 'trtc', version: '2019-07-22' },
  RemoveUserByStrRoomId: { service: 'trtc', version: '2019-07-22' },
};
/** The regions the TRTC room management API answers in (its doc: Region required, one of these). */
const TRTC_REGIONS = new Set(['ap-beijing', 'ap-guangzhou', 'ap-singapore', 'ap-mumbai']);
/** TRTC string room ids (TENCENT.md §5): up to 64 bytes of letters, digits and these signs. */
const TRTC_STR_ROOM = /^[A-Za-z0-9_\-!#$%&()+:;<=.>?@[\]^{}|~,]{1,64}$/;
/** Cloud API 3.0 refuses a request signed more than 5 minutes from its own clock. */
const CLOUD_CLOCK_SKEW_S = 300;

const UINT32 = /^(0|[1-9][0-9]{0,9})$/;
const isUint32Text = (v: string | undefined) => v !== undefined && UINT32.test(v) && Number(v) <= 0xffffffff;
const isUint32 = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

type Answer = { status: number; body: unknown };

/**
 * A PrivateMapKey's room and privileges (trtc.io/document/35157): Tencent's
 * base64 (`*` `-` `_` for `+` `/` `=`), zlib, JSON, then the userbuf: version
 * (1 byte), account length (2) + account, sdkappid (4), room number (4),
 * expiry (4), privileges (4), account type (4), and in version 1 a string
 * room id (2 + bytes). Undefined when it does not decode.
 */
function decodePrivateMapKey(key: string): { roomId: string; privileges: number } | undefined {
  try {
    const json = JSON.parse(inflateSync(Buffer.from(key.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='), 'base64')).toString('utf8')) as Record<string, string>;
    const buf = Buffer.from(json['TLS.userbuf'] ?? '', 'base64');
    let at = 1;
    at += 2 + buf.readUInt16BE(at);
    at += 4;
    const room = buf.readUInt32BE(at);
    at += 8;
    const privileges = buf.readUInt32BE(at);
    at += 8;
    const roomId = buf[0] === 1 ? buf.subarray(at + 2, at + 2 + buf.readUInt16BE(at)).toString('utf8') : String(room);
    return { roomId, privileges };
  } catch {
    return undefined;
  }
}

export async function startFakeCloud(opts: FakeCloudOptions): Promise<FakeCloud> {
  const calls: RecordedCall[] = [];
  const groups = new Set<string>();
  const notifications: FakeCloud['notifications'] = [];
  const liveStreams = new Set<string>();
  const foreignGroups = new Set<string>();
  const mixSessions: FakeCloud['mixSessions'] = new Map();
  const trtcCalls: FakeCloud['trtcCalls'] = [];
  const recordings: FakeCloud['recordings'] = new Map();
  let taskCount = 0;
  // Deterministic (a fake's Nth task): the differential test compares two runs' event logs.
  const newTaskId = () => `fake-task-${++taskCount}`;
  const running = () => [...recordings.values()].filter((r) => r.running).length;
  const refusals = new Map<string, number>();
  const pendingFailures = new Map<string, { remaining: number; behaviour: FailureBehaviour }[]>();
  const timers = new Set<NodeJS.Timeout>();

  function takeFailure(command: string): FailureBehaviour | undefined {
    const queue = pendingFailures.get(command);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.behaviour;
  }

  const imFail = (errorCode: number, info: string) => ({ ActionStatus: 'FAIL', ErrorCode: errorCode, ErrorInfo: info });
  const imOk = (extra: Record<string, unknown> = {}) => ({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ...extra });

  function checkImQuery(query: Record<string, string>): string | undefined {
    if (query.sdkappid !== String(opts.sdkAppId)) return 'sdkappid does not match';
    if (query.identifier !== opts.administrator) return 'identifier is not the administrator';
    const verdict = verifyUserSig({ sdkAppId: opts.sdkAppId, secretKey: opts.secretKey }, opts.administrator, query.usersig ?? '');
    if (!verdict.ok) return `usersig rejected: ${verdict.reason}`;
    if (!isUint32Text(query.random)) return 'random is not a 32-bit unsigned integer';
    if (query.contenttype !== 'json') return 'contenttype must be json';
    return undefined;
  }

  function handleIm(command: string, body: unknown): unknown {
    const req = (body ?? {}) as Record<string, unknown>;
    const groupId = typeof req.GroupId === 'string' ? req.GroupId : undefined;
    switch (command) {
      case 'create_group': {
        if (req.Type !== 'AVChatRoom') return imFail(IM_INVALID_PARAM, 'Type must be AVChatRoom');
        if (req.Owner_Account !== opts.administrator) return imFail(IM_INVALID_PARAM, 'Owner_Account must be the administrator');
        if (!groupId) return imFail(IM_INVALID_PARAM, 'GroupId missing');
        if (typeof req.Name !== 'string' || req.Name.length === 0 || Buffer.byteLength(req.Name, 'utf8') > 30) {
          return imFail(IM_INVALID_PARAM, 'Name must be 1-30 bytes');
        }
        if (foreignGroups.has(groupId)) return imFail(IM_GROUP_EXISTS, 'group id is used by someone else');
        if (groups.has(groupId)) return imFail(IM_GROUP_OURS, 'group id is used and you are its owner');
        groups.add(groupId);
        return imOk({ GroupId: groupId });
      }
      case 'destroy_group': {
        if (!groupId) return imFail(IM_INVALID_PARAM, 'GroupId missing');
        if (!groups.delete(groupId)) return imFail(IM_GROUP_MISSING, 'group does not exist');
        return imOk();
      }
      case 'send_group_system_notification': {
        if (!groupId || typeof req.Content !== 'string') return imFail(IM_INVALID_PARAM, 'GroupId and Content required');
        if (!groups.has(groupId)) return imFail(IM_GROUP_MISSING, 'group does not exist');
        notifications.push({ groupId, mode: 'system', content: req.Content });
        return imOk();
      }
      case 'send_group_msg': {
        const element = Array.isArray(req.MsgBody) ? (req.MsgBody[0] as { MsgType?: unknown; MsgContent?: { Data?: unknown } } | undefined) : undefined;
        if (!groupId || !isUint32(req.Random) || element?.MsgType !== 'TIMCustomElem' || typeof element.MsgContent?.Data !== 'string') {
          return imFail(IM_INVALID_PARAM, 'GroupId, Random and a TIMCustomElem required');
        }
        if (!groups.has(groupId)) return imFail(IM_GROUP_MISSING, 'group does not exist');
        notifications.push({ groupId, mode: 'custom', content: element.MsgContent.Data });
        return imOk({ MsgTime: Math.floor(Date.now() / 1000), MsgSeq: notifications.length });
      }
      case 'account_check': {
        const items = Array.isArray(req.CheckItem) ? (req.CheckItem as { UserID?: unknown }[]) : [];
        return imOk({ ResultItem: items.map((i) => ({ UserID: i.UserID, ResultCode: 0, ResultInfo: '', AccountStatus: 'Imported' })) });
      }
      default:
        return imFail(IM_INVALID_PARAM, `unknown command ${command}`);
    }
  }

  const cloudFail = (code: string, message: string) => ({ Response: { Error: { Code: code, Message: message }, RequestId: requestId() } });
  const cloudOk = (fields: Record<string, unknown> = {}) => ({ Response: { ...fields, RequestId: requestId() } });
  let requestCount = 0;
  const requestId = () => `fake-${++requestCount}`;

  const hex = (data: string) => createHash('sha256').update(data).digest('hex');
  const mac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

  /**
   * TC3-HMAC-SHA256 as doc 213/30654 describes it, from what arrived: the
   * headers the client says it signed (lower-cased names and values, trimmed),
   * the body's hash, the scope date/service/tc3_request. Undefined when valid.
   */
  function checkTc3(headers: Record<string, string>, rawBody: string, action: string): { code: string; message: string } | undefined {
    const auth = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([a-z]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(headers.authorization ?? '');
    if (!auth) return { code: 'AuthFailure.InvalidAuthorization', message: 'Authorization is not a TC3-HMAC-SHA256 header' };
    const [, secretId, date, service, signedHeaders, signature] = auth as unknown as string[];
    const credential = opts.cloudCredentials.find((c) => c.secretId === secretId);
    if (!credential) return { code: 'AuthFailure.SecretIdNotFound', message: 'unknown SecretId' };
    if (credential.token !== undefined && headers['x-tc-token'] !== credential.token) return { code: 'AuthFailure.TokenFailure', message: 'X-TC-Token missing or wrong' };
    const timestamp = Number(headers['x-tc-timestamp']);
    if (!Number.isInteger(timestamp) || Math.abs(timestamp - Date.now() / 1000) > CLOUD_CLOCK_SKEW_S) return { code: 'AuthFailure.SignatureExpire', message: 'X-TC-Timestamp too far from now' };
    if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== date) return { code: 'AuthFailure.SignatureFailure', message: 'credential date is not the timestamp\'s UTC date' };
    if (service !== CLOUD_ACTIONS[action]?.service) return { code: 'AuthFailure.SignatureFailure', message: `signed for service ${service}` };
    const names = signedHeaders!.split(';');
    if (!names.includes('host') || !names.includes('content-type')) return { code: 'AuthFailure.SignatureFailure', message: 'host and content-type must be signed' };
    const canonicalHeaders = names.map((name) => `${name}:${(headers[name] ?? '').trim().toLowerCase()}\n`).join('');
    const canonical = `POST\n/\n\n${canonicalHeaders}\n${signedHeaders}\n${hex(rawBody)}`;
    const toSign = `TC3-HMAC-SHA256\n${timestamp}\n${date}/${service}/tc3_request\n${hex(canonical)}`;
    const key = mac(mac(mac('TC3' + credential.secretKey, date!), service!), 'tc3_request');
    if (createHmac('sha256', key).update(toSign).digest('hex') !== signature) return { code: 'AuthFailure.SignatureFailure', message: 'signature does not match' };
    return undefined;
  }

  const MIX_SESSION = /^[A-Za-z0-9_]{1,80}$/;

  /** The TRTC room management actions, checked as their docs describe the parameters. */
  /**
   * TRTC cloud recording (doc 647/73786, error codes of the API's SDK model):
   * the parameters it requires, the recorder's UserSig checked like TRTC
   * checks it at entry, the concurrency limit, and "a second recorder with the
   * same UserId in a room interrupts the first".
   */
  function handleTrtcRecording(action: string, params: Record<string, unknown>): unknown {
    if (action === 'DeleteCloudRecording') {
      const taskId = params.TaskId;
      if (typeof taskId !== 'string' || taskId === '') return cloudFail('MissingParameter.TaskId', 'TaskId is required');
      const task = recordings.get(taskId);
      if (!task || task.service !== 'trtc' || !task.running) return cloudFail('ResourceNotFound', 'the recording task does not exist or has ended');
      task.running = false;
      task.stoppedBy = 'deleted';
      return cloudOk({ TaskId: taskId });
    }
    const { RoomId: roomId, RoomIdType: roomIdType = 0, UserId: userId, UserSig: userSig, RecordParams: record, StorageParams: storage } = params as Record<string, unknown>;
    if (typeof roomId !== 'string' || roomId === '') return cloudFail('MissingParameter.RoomId', 'RoomId is required (a string)');
    if (roomIdType !== 0 && roomIdType !== 1) return cloudFail('InvalidParameter.OutOfRange', 'RoomIdType must be 0 (integer room) or 1 (string room)');
    if (roomIdType === 0 && (!/^\d{1,10}$/.test(roomId) || Number(roomId) < 1 || Number(roomId) > 4294967294)) return cloudFail('InvalidParameter.OutOfRange', 'RoomId of RoomIdType 0 must be an integer 1..4294967294');
    if (roomIdType === 1 && !TRTC_STR_ROOM.test(roomId)) return cloudFail('InvalidParameter.OutOfRange', 'RoomId must be a TRTC string room id');
    if (typeof userId !== 'string' || userId === '') return cloudFail('MissingParameter.UserId', 'UserId (the recorder) is required');
    if (typeof userSig !== 'string' || userSig === '') return cloudFail('MissingParameter.UserSig', 'UserSig is required');
    const mode = (record as { RecordMode?: unknown } | undefined)?.RecordMode;
    if (!record || typeof record !== 'object') return cloudFail('MissingParameter.RecordParams', 'RecordParams is required');
    if (mode !== 1 && mode !== 2) return cloudFail('MissingParameter.RecordMode', 'RecordParams.RecordMode must be 1 (single) or 2 (mixed)');
    if (!storage || typeof storage !== 'object') return cloudFail('MissingParameter.StorageParams', 'StorageParams is required');
    const cos = (storage as { CloudStorage?: Record<string, unknown> }).CloudStorage;
    const vod = (storage as { CloudVod?: unknown }).CloudVod;
    if (!cos && !vod) return cloudFail('MissingParameter.CloudStorage', 'StorageParams needs CloudStorage or CloudVod');
    if (cos) {
      if (cos.Vendor !== 0 && cos.Vendor !== 1) return cloudFail('MissingParameter.Vendor', 'CloudStorage.Vendor is required');
      if (typeof cos.Region !== 'string') return cloudFail('MissingParameter.Region', 'CloudStorage.Region is required');
      if (typeof cos.Bucket !== 'string') return cloudFail('MissingParameter.Bucket', 'CloudStorage.Bucket is required');
      if (typeof cos.AccessKey !== 'string') return cloudFail('MissingParameter.AccessKey', 'CloudStorage.AccessKey is required');
      if (typeof cos.SecretKey !== 'string') return cloudFail('MissingParameter.SecretKey', 'CloudStorage.SecretKey is required');
    }
    if (running() >= fake.recordingLimit) return cloudFail('FailedOperation.RestrictedConcurrency', 'Maximum number of concurrent on-cloud recording tasks reached. Contact us to raise the limit.');
    for (const task of recordings.values()) {
      if (task.service === 'trtc' && task.running && task.roomId === roomId && task.recorder === userId) {
        task.running = false;
        task.stoppedBy = 'replaced';
      }
    }
    const taskId = newTaskId();
    const sig = verifyUserSig({ sdkAppId: opts.sdkAppId, secretKey: opts.secretKey }, userId, userSig);
    const key = typeof params.PrivateMapKey === 'string' ? decodePrivateMapKey(params.PrivateMapKey) : undefined;
    recordings.set(taskId, { service: 'trtc', roomId, roomIdType: roomIdType as number, recorder: userId, userSigValid: sig.ok, privateMapKey: key, recordMode: mode, storage: cos ? 'cos' : 'vod', running: true });
    return cloudOk({ TaskId: taskId });
  }

  /** Live recording tasks (docs 267/45983, 267/45981; error codes of the API's SDK model). */
  function handleLiveRecording(action: string, params: Record<string, unknown>, region: string | undefined): unknown {
    if (!region) return cloudFail('MissingParameter', 'the Region common parameter is required (ap-guangzhou)');
    if (action === 'StopRecordTask') {
      const taskId = params.TaskId;
      const task = typeof taskId === 'string' ? recordings.get(taskId) : undefined;
      if (!task || task.service !== 'live') return cloudFail('InvalidParameter', 'TaskId is not a recording task');
      task.running = false;
      task.stoppedBy = 'deleted';
      return cloudOk();
    }
    const { StreamName: stream, DomainName: domain, AppName: app, EndTime: end, StartTime: start } = params;
    if (typeof stream !== 'string' || stream === '' || typeof domain !== 'string' || domain === '' || typeof app !== 'string' || app === '') return cloudFail('InvalidParameter', 'StreamName, DomainName and AppName are required');
    const now = Math.floor(Date.now() / 1000);
    const from = typeof start === 'number' ? start : now;
    if (typeof end !== 'number' || !Number.isInteger(end) || end <= now || end <= from || end - from > 24 * 3600 || end > now + 7 * 24 * 3600) {
      return cloudFail('InvalidParameter', 'EndTime must be after StartTime and now, at most 24 hours after StartTime and 7 days from now');
    }
    if (running() >= fake.recordingLimit) return cloudFail('LimitExceeded.MaximumRunningTask', 'the number of running recording tasks reached its limit');
    const taskId = newTaskId();
    recordings.set(taskId, { service: 'live', streamName: stream, endTime: end, running: true });
    return cloudOk({ TaskId: taskId });
  }

  function handleTrtc(action: string, params: Record<string, unknown>, region: string | undefined): unknown {
    if (!region || !TRTC_REGIONS.has(region)) return cloudFail('InvalidParameterValue.Region', 'X-TC-Region is required (ap-beijing, ap-guangzhou, ap-singapore, ap-mumbai)');
    if (params.SdkAppId !== opts.sdkAppId) return cloudFail('InvalidParameter.SdkAppId', 'SdkAppId must be the application\'s (an integer)');
    if (action.endsWith('CloudRecording')) return handleTrtcRecording(action, params);
    const roomId = params.RoomId;
    if (action.endsWith('ByStrRoomId')) {
      if (typeof roomId !== 'string' || !TRTC_STR_ROOM.test(roomId)) return cloudFail('InvalidParameter.RoomId', 'RoomId must be a string room id');
    } else if (typeof roomId !== 'number' || !Number.isInteger(roomId) || roomId < 1 || roomId > 4294967294) {
      return cloudFail('InvalidParameter.RoomId', 'RoomId must be an integer 1..4294967294');
    }
    if (action.startsWith('RemoveUser')) {
      const users = params.UserIds;
      if (!Array.isArray(users) || users.length < 1 || users.length > 10 || users.some((u) => typeof u !== 'string' || u === '')) {
        return cloudFail('InvalidParameter.UserIds', 'UserIds must list 1-10 user ids');
      }
      trtcCalls.push({ action, roomId, userIds: users as string[] });
    } else trtcCalls.push({ action, roomId });
    return cloudOk();
  }

  function handleCloud(action: string, params: Record<string, unknown>, region?: string): unknown {
    const text = (name: string) => (typeof params[name] === 'string' && params[name] !== '' ? (params[name] as string) : undefined);
    if (CLOUD_ACTIONS[action]?.service === 'trtc') return handleTrtc(action, params, region);
    if (action.endsWith('RecordTask')) return handleLiveRecording(action, params, region);
    switch (action) {
      case 'DescribeLiveStreamState': {
        const [app, domain, stream] = [text('AppName'), text('DomainName'), text('StreamName')];
        if (!app || !domain || !stream) return cloudFail('MissingParameter', 'AppName, DomainName and StreamName are required');
        const active = liveStreams.has(stream) || liveStreams.has(`${domain}/${app}/${stream}`);
        return cloudOk({ StreamState: active ? 'active' : 'inactive' });
      }
      case 'CreateCommonMixStream': {
        const session = text('MixStreamSessionId');
        const inputs = params.InputStreamList;
        const output = (params.OutputParams as { OutputStreamName?: unknown } | undefined)?.OutputStreamName;
        if (!session || !MIX_SESSION.test(session)) return cloudFail('InvalidParameter', 'MixStreamSessionId must be 1-80 letters, digits, underscores');
        if (!Array.isArray(inputs) || inputs.length < 1 || inputs.length > 16) return cloudFail('InvalidParameter', 'InputStreamList must hold 1-16 inputs');
        if (typeof output !== 'string' || output === '') return cloudFail('MissingParameter', 'OutputParams.OutputStreamName is required');
        const parsed: { name: string; layer: number }[] = [];
        for (const input of inputs as { InputStreamName?: unknown; LayoutParams?: { ImageLayer?: unknown } }[]) {
          const layer = input?.LayoutParams?.ImageLayer;
          if (typeof input?.InputStreamName !== 'string' || !Number.isInteger(layer)) return cloudFail('InvalidParameter', 'each input needs InputStreamName and LayoutParams.ImageLayer');
          parsed.push({ name: input.InputStreamName, layer: layer as number });
        }
        mixSessions.set(session, { output, inputs: parsed });
        return cloudOk();
      }
      case 'CancelCommonMixStream': {
        const session = text('MixStreamSessionId');
        if (!session) return cloudFail('MissingParameter', 'MixStreamSessionId is required');
        mixSessions.delete(session);
        return cloudOk();
      }
      default:
        return cloudFail('InvalidAction', `unknown action ${action}`);
    }
  }

  /** Records the call, checks its signature, applies an injected failure, then answers normally. */
  async function route(method: string, url: URL, rawBody: string, headers: Record<string, string>): Promise<Answer> {
    const query = Object.fromEntries(url.searchParams);
    let body: unknown;
    let bodyIsJson = true;
    try {
      body = rawBody.length > 0 ? JSON.parse(rawBody) : undefined;
    } catch {
      body = rawBody;
      bodyIsJson = false;
    }

    const im = /^\/v4\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (im) {
      const command = im[2] ?? '';
      calls.push({ api: 'im', command, query, body });
      if (method !== 'POST') return { status: 405, body: 'POST only' };
      const rejected = checkImQuery(query);
      if (rejected) return { status: 200, body: imFail(IM_SIG_INVALID, rejected) };
      const refusal = refusals.get(command);
      if (refusal !== undefined) return { status: 200, body: imFail(refusal, 'this API is not available to this SDKAppID') };
      const failure = await injected(command);
      if (failure?.httpStatus !== undefined) return { status: failure.httpStatus, body: `injected HTTP ${failure.httpStatus}` };
      if (failure?.errorCode !== undefined) return { status: 200, body: imFail(Number(failure.errorCode), 'injected failure') };
      if (!bodyIsJson) return { status: 200, body: imFail(IM_BAD_JSON, 'body is not JSON') };
      const answer = handleIm(command, body);
      if (failure?.replyDelayMs) await pause(failure.replyDelayMs);
      return { status: 200, body: answer };
    }

    if (url.pathname === '/') {
      const action = headers['x-tc-action'] ?? '';
      const known = CLOUD_ACTIONS[action];
      const rejected = method !== 'POST' ? { code: 'UnsupportedOperation', message: 'POST only here' } : checkTc3(headers, rawBody, action);
      calls.push({ api: 'cloud', command: action, query, body, signed: rejected === undefined });
      if (rejected) return { status: 200, body: cloudFail(rejected.code, rejected.message) };
      if (!known) return { status: 200, body: cloudFail('InvalidAction', `unknown action ${action}`) };
      if (headers['x-tc-version'] !== known.version) return { status: 200, body: cloudFail('InvalidParameterValue', `version must be ${known.version}`) };
      const failure = await injected(action);
      if (failure?.httpStatus !== undefined) return { status: failure.httpStatus, body: `injected HTTP ${failure.httpStatus}` };
      if (failure?.errorCode !== undefined) return { status: 200, body: cloudFail(String(failure.errorCode), 'injected failure') };
      if (!bodyIsJson || body === null || typeof body !== 'object') return { status: 200, body: cloudFail('InvalidParameter', 'body is not a JSON object') };
      return { status: 200, body: handleCloud(action, body as Record<string, unknown>, headers['x-tc-region']) };
    }

    return { status: 404, body: 'not found' };
  }

  function pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  /** Takes the command's next injected failure, if any, and waits out its delay. */
  async function injected(command: string): Promise<FailureBehaviour | undefined> {
    const behaviour = takeFailure(command);
    if (!behaviour) return undefined;
    if (behaviour.delayMs) await pause(behaviour.delayMs);
    return behaviour;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
      route(req.method ?? 'GET', url, Buffer.concat(chunks).toString('utf8'), headers).then(
        (answer) => {
          // The client may have timed out and hung up meanwhile.
          if (res.destroyed || res.socket?.destroyed) return;
          const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
          res.writeHead(answer.status, { 'Content-Type': typeof answer.body === 'string' ? 'text/plain' : 'application/json' });
          res.end(text);
        },
        () => {
          if (!res.destroyed) res.writeHead(500).end();
        },
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  const fake: FakeCloud = {
    imBaseUrl: origin,
    cloudBaseUrl: origin,
    calls,
    groups,
    foreignGroups,
    notifications,
    liveStreams,
    trtcCalls,
    mixSessions,
    recordings,
    recordingLimit: 100,
    failNext(command, howMany, behaviour) {
      if (howMany <= 0) return;
      const queue = pendingFailures.get(command) ?? [];
      queue.push({ remaining: howMany, behaviour });
      pendingFailures.set(command, queue);
    },
    refuse(command, errorCode) {
      refusals.set(command, errorCode);
    },
    reset() {
      calls.length = 0;
      notifications.length = 0;
      groups.clear();
      foreignGroups.clear();
      liveStreams.clear();
      trtcCalls.length = 0;
      mixSessions.clear();
      recordings.clear();
      taskCount = 0;
      fake.recordingLimit = 100;
      refusals.clear();
      pendingFailures.clear();
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive clients hold idle sockets open; close would wait for them.
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
