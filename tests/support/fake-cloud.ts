/**
 * A loopback fake of the two Tencent APIs the service calls: IM REST (`/v4/...`)
 * and the legacy live API (`/common_access`). It checks the signatures as the
 * real services do, keeps the state tests assert on (groups, notifications,
 * live streams) and can be told to fail, stall or rate-limit the next calls.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyUserSig } from '../../shared/sign/usersig';

export interface RecordedCall {
  api: 'im' | 'live';
  /** IM: the command (`create_group`); live: the interface (`Mix_StreamV2`). */
  command: string;
  query: Record<string, string>;
  body: unknown;
}

export interface FailureBehaviour {
  /** IM ErrorCode (IM) or `ret` / `code` (live) to answer with. */
  errorCode?: number;
  /** HTTP status to answer with (takes precedence over errorCode). */
  httpStatus?: number;
  /** Wait this long before answering; alone, the call then succeeds normally (late). */
  delayMs?: number;
  /** Handle the call at once but hold its answer this long (the effect lands before the caller knows). */
  replyDelayMs?: number;
}

export interface FakeCloud {
  imBaseUrl: string;
  liveBaseUrl: string;
  calls: RecordedCall[];
  groups: Set<string>;
  notifications: { groupId: string; mode: 'system' | 'custom'; content: string }[];
  liveStreams: Set<string>;
  /** The next `howMany` calls of `command` behave as described. */
  failNext(command: string, howMany: number, behaviour: FailureBehaviour): void;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeCloudOptions {
  sdkAppId: number;
  secretKey: string;
  administrator: string;
  liveAppId: string;
  liveApiKey: string;
}

// IM error codes the fake answers with (the real service's numbers).
const IM_SIG_INVALID = 70003;
const IM_INVALID_PARAM = 10004;
const IM_GROUP_EXISTS = 10021;
const IM_GROUP_MISSING = 10010;
const IM_BAD_JSON = 90001;
const LIVE_SIGN_FAILED = -4;
const LIVE_INVALID_PARAM = -1;

const UINT32 = /^(0|[1-9][0-9]{0,9})$/;
const isUint32Text = (v: string | undefined) => v !== undefined && UINT32.test(v) && Number(v) <= 0xffffffff;
const isUint32 = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

type Answer = { status: number; body: unknown };

export async function startFakeCloud(opts: FakeCloudOptions): Promise<FakeCloud> {
  const calls: RecordedCall[] = [];
  const groups = new Set<string>();
  const notifications: FakeCloud['notifications'] = [];
  const liveStreams = new Set<string>();
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
        if (groups.has(groupId)) return imFail(IM_GROUP_EXISTS, 'group id has been used');
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

  /** Live answers put their status in `ret` (status query) or `code` (mixing). */
  const liveFail = (command: string, code: number, message: string) =>
    command === 'Mix_StreamV2' ? { code, message, timestamp: Math.floor(Date.now() / 1000) } : { ret: code, retcode: code, errmsg: message, message };

  function checkLiveQuery(query: Record<string, string>): string | undefined {
    if (query.appid !== opts.liveAppId) return 'appid does not match';
    const t = query.t ?? '';
    if (!/^[0-9]+$/.test(t)) return 't is not a unix time';
    if (Number(t) < Math.floor(Date.now() / 1000)) return 't is in the past';
    const expected = createHash('md5').update(opts.liveApiKey + t, 'utf8').digest('hex');
    if (query.sign !== expected) return 'sign does not match';
    return undefined;
  }

  function handleLive(command: string, method: string, query: Record<string, string>, body: unknown): unknown {
    switch (command) {
      case 'Live_Channel_GetStatus': {
        const channel = query['Param.s.channel_id'];
        if (!channel) return liveFail(command, LIVE_INVALID_PARAM, 'Param.s.channel_id missing');
        const status = liveStreams.has(channel) ? 1 : 0;
        return { ret: 0, retcode: 0, errmsg: '', message: '', output: [{ rate_type: 0, recv_type: 1, status }] };
      }
      case 'Mix_StreamV2': {
        if (method !== 'POST' || body === null || typeof body !== 'object') return liveFail(command, LIVE_INVALID_PARAM, 'POST a JSON object');
        return { code: 0, message: '', timestamp: Math.floor(Date.now() / 1000) };
      }
      default:
        return liveFail(command, LIVE_INVALID_PARAM, `unknown interface ${command}`);
    }
  }

  /** Records the call, checks its signature, applies an injected failure, then answers normally. */
  async function route(method: string, url: URL, rawBody: string): Promise<Answer> {
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
      const failure = await injected(command);
      if (failure?.httpStatus !== undefined) return { status: failure.httpStatus, body: `injected HTTP ${failure.httpStatus}` };
      if (failure?.errorCode !== undefined) return { status: 200, body: imFail(failure.errorCode, 'injected failure') };
      if (!bodyIsJson) return { status: 200, body: imFail(IM_BAD_JSON, 'body is not JSON') };
      const answer = handleIm(command, body);
      if (failure?.replyDelayMs) await pause(failure.replyDelayMs);
      return { status: 200, body: answer };
    }

    if (url.pathname === '/common_access') {
      const command = query.interface ?? '';
      calls.push({ api: 'live', command, query, body });
      const rejected = checkLiveQuery(query);
      if (rejected) return { status: 200, body: liveFail(command, LIVE_SIGN_FAILED, rejected) };
      const failure = await injected(command);
      if (failure?.httpStatus !== undefined) return { status: failure.httpStatus, body: `injected HTTP ${failure.httpStatus}` };
      if (failure?.errorCode !== undefined) return { status: 200, body: liveFail(command, failure.errorCode, 'injected failure') };
      if (!bodyIsJson) return { status: 200, body: liveFail(command, LIVE_INVALID_PARAM, 'body is not JSON') };
      return { status: 200, body: handleLive(command, method, query, body) };
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
      route(req.method ?? 'GET', url, Buffer.concat(chunks).toString('utf8')).then(
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

  return {
    imBaseUrl: origin,
    liveBaseUrl: `${origin}/common_access`,
    calls,
    groups,
    notifications,
    liveStreams,
    failNext(command, howMany, behaviour) {
      if (howMany <= 0) return;
      const queue = pendingFailures.get(command) ?? [];
      queue.push({ remaining: howMany, behaviour });
      pendingFailures.set(command, queue);
    },
    reset() {
      calls.length = 0;
      notifications.length = 0;
      groups.clear();
      liveStreams.clear();
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
}
