/**
 * A recorder under tencent-component-toolkit: the deploy runs the real toolkit
 * code (Scf, TriggerManager, Cos, Account), and only the two places where the
 * toolkit hands a request to the network are replaced:
 *
 *  - `Capi.prototype.request` of @tencent-sdk/capi (the toolkit's own copy):
 *    every Cloud API call (SCF, account, tags ...) with its action and
 *    parameters, exactly as the toolkit built them;
 *  - the COS SDK's object and bucket methods (cos-nodejs-sdk-v5), which upload
 *    the code packages.
 *
 * Each call is recorded and answered by a small in-memory SCF/COS that keeps
 * functions, triggers and objects, and answers the way the API does where the
 * toolkit depends on it (ResourceNotFound for a missing function, a timer's
 * TriggerDesc echoed as {"cron": ...}, Enable as 1/0), so the toolkit's
 * create-or-update and trigger-diff logic runs for real. While installed, any
 * other outgoing HTTP(S) request throws: a recorder test cannot reach a cloud.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

export interface RecordedCall {
  service: string;
  region: string;
  action: string;
  params: Record<string, any>;
}

interface FakeTrigger {
  Type: string;
  TriggerName: string;
  TriggerDesc: string;
  Enable: number;
  Qualifier: string;
  CustomArgument?: string;
  AddTime: string;
  ModTime: string;
}

interface FakeFunction {
  config: Record<string, any>;
  triggers: FakeTrigger[];
}

export interface ToolkitRecorder {
  calls: RecordedCall[];
  /** SCF functions by name, as the fake holds them now. */
  functions: Map<string, FakeFunction>;
  /** COS objects as `bucket/key` -> bytes. */
  objects: Map<string, Buffer>;
  /** Calls of one action, in order. */
  ofAction(action: string): RecordedCall[];
  /** Forget the recorded calls (the fake's state stays). */
  clearCalls(): void;
  /** The fake's state (functions, objects, buckets), to carry it into another process. */
  exportState(): RecorderState;
  /** Log lines the fake CLS answers SearchLog with, per function name. */
  logLines: Map<string, { time: number; requestId: string; message: string }[]>;
  restore(): void;
}

export interface RecorderState {
  functions: [string, FakeFunction][];
  objects: [string, string][];
  buckets: string[];
}

const toolkitDir = require.resolve('tencent-component-toolkit/lib/modules/scf');
const { Capi } = require(require.resolve('@tencent-sdk/capi', { paths: [toolkitDir] })) as { Capi: { prototype: any } };
const COS = require(require.resolve('cos-nodejs-sdk-v5', { paths: [toolkitDir] })) as { prototype: any };

const COS_METHODS = ['putBucket', 'headBucket', 'putBucketLifecycle', 'putObject', 'getBucket', 'deleteMultipleObject', 'deleteBucket'] as const;

class ApiFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const now = () => new Date().toISOString().replace('T', ' ').slice(0, 19);

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  if (body && typeof (body as Readable).on === 'function') {
    const chunks: Buffer[] = [];
    for await (const chunk of body as Readable) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  if (body && typeof (body as { path?: unknown }).path === 'string') return readFileSync((body as { path: string }).path);
  return Buffer.alloc(0);
}

export function installToolkitRecorder(options: { appId?: string; state?: RecorderState } = {}): ToolkitRecorder {
  const appId = options.appId ?? '1250000000';
  const calls: RecordedCall[] = [];
  const functions = new Map<string, FakeFunction>(options.state?.functions ?? []);
  const objects = new Map<string, Buffer>((options.state?.objects ?? []).map(([key, base64]) => [key, Buffer.from(base64, 'base64')]));
  const buckets = new Set<string>(options.state?.buckets ?? []);
  const logLines = new Map<string, { time: number; requestId: string; message: string }[]>();
  let urlCounter = 0;

  const fn = (name: unknown) => {
    const found = functions.get(String(name));
    if (!found) throw new ApiFailure('ResourceNotFound.Function', `function ${String(name)} does not exist`);
    return found;
  };
  const codeExists = (code: Record<string, any> | undefined) => {
    const key = `${code?.CosBucketName}-${appId}/${code?.CosObjectName}`;
    if (!objects.has(key)) throw new ApiFailure('InvalidParameterValue.Code', `no code package at cos://${key}`);
  };

  function scf(action: string, p: Record<string, any>): Record<string, unknown> {
    switch (action) {
      case 'GetFunction': {
        const { config } = fn(p.FunctionName);
        // SCF delivers every function's logs to a CLS topic (the default SCF_logtopic_... one).
        return { ClsLogsetId: 'logset-recorded', ClsTopicId: `topic-${p.FunctionName}`, ...config, Status: 'Active', Qualifier: p.Qualifier ?? '$LATEST' };
      }
      case 'Invoke': {
        // A function that answers its event back: what SCF returns around it is what is under test.
        fn(p.FunctionName);
        const event = JSON.parse(String(p.ClientContext ?? '{}')) as unknown;
        return {
          Result: {
            RetMsg: JSON.stringify({ statusCode: 200, headers: {}, body: JSON.stringify({ code: 0, message: 'recorded', event }) }),
            ErrMsg: '',
            Log: `START RequestId: recorded-invoke\nEND RequestId: recorded-invoke`,
            InvokeResult: 0,
            FunctionRequestId: 'recorded-invoke',
            Duration: 3,
          },
        };
      }
      case 'CreateFunction': {
        if (functions.has(p.FunctionName)) throw new ApiFailure('ResourceInUse.Function', `function ${p.FunctionName} exists`);
        for (const field of ['FunctionName', 'Runtime', 'Handler']) if (!p[field]) throw new ApiFailure('MissingParameter', `${field} is required`);
        codeExists(p.Code);
        functions.set(p.FunctionName, { config: { ...p, Namespace: p.Namespace ?? 'default', Type: p.Type ?? 'Event' }, triggers: [] });
        return {};
      }
      case 'UpdateFunctionCode': {
        const target = fn(p.FunctionName);
        codeExists(p.Code);
        target.config = { ...target.config, Code: p.Code, Handler: p.Handler ?? target.config.Handler };
        return {};
      }
      case 'UpdateFunctionConfiguration': {
        const target = fn(p.FunctionName);
        const { FunctionName: _name, ...changes } = p;
        // The toolkit clears every variable with one empty entry.
        if (changes.Environment?.Variables?.length === 1 && changes.Environment.Variables[0].Key === '') changes.Environment = { Variables: [] };
        target.config = { ...target.config, ...changes };
        return {};
      }
      case 'GetAlias':
        fn(p.FunctionName);
        return { Name: p.Name ?? '$DEFAULT', FunctionVersion: '$LATEST', RoutingConfig: { AdditionalVersionWeights: [] } };
      case 'ListTriggers': {
        const filters = (p.Filters ?? []) as { Name: string; Values: string[] }[];
        const triggers = fn(p.FunctionName).triggers.filter((t) =>
          filters.every((f) => f.Values.includes(String((t as unknown as Record<string, unknown>)[f.Name]))),
        );
        return { Triggers: triggers, TotalCount: triggers.length };
      }
      case 'CreateTrigger': {
        const target = fn(p.FunctionName);
        if (target.triggers.some((t) => t.TriggerName === p.TriggerName && t.Type === p.Type)) {
          throw new ApiFailure('ResourceInUse.Trigger', `trigger ${p.TriggerName} exists`);
        }
        let desc = String(p.TriggerDesc ?? '');
        // The API echoes a timer's cron wrapped as {"cron": ...} (the toolkit's timer module relies on it).
        if (p.Type === 'timer') desc = JSON.stringify({ cron: desc });
        // A Function URL's address is in its description, NetConfig.ExtranetUrl (as a third-party
        // tool reads it from GetFunction; not in Tencent's docs). CreateTrigger's own answer here
        // leaves it out, the worst case: the deploy must then find it with ListTriggers.
        const created = desc;
        if (p.Type === 'http') {
          urlCounter += 1;
          const parsed = JSON.parse(desc) as { NetConfig?: Record<string, unknown> };
          desc = JSON.stringify({ ...parsed, NetConfig: { ...parsed.NetConfig, ExtranetUrl: `https://${appId}-url${urlCounter}.${regionOf.current}.tencentscf.com` } });
        }
        const trigger: FakeTrigger = {
          Type: p.Type,
          TriggerName: p.TriggerName,
          TriggerDesc: desc,
          Enable: p.Enable === 'OPEN' ? 1 : 0,
          Qualifier: p.Qualifier ?? '$DEFAULT',
          // ListTriggers answers "" for a trigger created without one (the field is always there).
          CustomArgument: p.CustomArgument ?? '',
          AddTime: now(),
          ModTime: now(),
        };
        target.triggers.push(trigger);
        return { TriggerInfo: { ...trigger, TriggerDesc: created } };
      }
      case 'UpdateTrigger': {
        const trigger = fn(p.FunctionName).triggers.find((t) => t.TriggerName === p.TriggerName && t.Type === p.Type);
        if (!trigger) throw new ApiFailure('ResourceNotFound.Trigger', `trigger ${p.TriggerName} does not exist`);
        // The address stays with the trigger across updates.
        const previous = JSON.parse(trigger.TriggerDesc) as { NetConfig?: { ExtranetUrl?: string } };
        const next = JSON.parse(String(p.TriggerDesc)) as { NetConfig?: Record<string, unknown> };
        if (previous.NetConfig?.ExtranetUrl) next.NetConfig = { ...next.NetConfig, ExtranetUrl: previous.NetConfig.ExtranetUrl };
        trigger.TriggerDesc = JSON.stringify(next);
        trigger.Enable = p.Enable === 'OPEN' ? 1 : 0;
        trigger.ModTime = now();
        return {};
      }
      case 'DeleteTrigger': {
        const target = fn(p.FunctionName);
        const before = target.triggers.length;
        target.triggers = target.triggers.filter((t) => !(t.TriggerName === p.TriggerName && t.Type === p.Type));
        if (target.triggers.length === before) throw new ApiFailure('ResourceNotFound.Trigger', `trigger ${p.TriggerName} does not exist`);
        return {};
      }
      case 'DeleteFunction':
        fn(p.FunctionName);
        functions.delete(p.FunctionName);
        return {};
      default:
        throw new ApiFailure('UnsupportedOperation', `the recorder does not answer scf ${action}`);
    }
  }

  const regionOf = { current: 'ap-guangzhou' };
  function answer(service: string, action: string, params: Record<string, any>): Record<string, unknown> {
    if (service === 'account' && action === 'DescribeCurrentUserDetails') return { AppId: [Number(appId)], Uin: '100000000001', OwnerUin: '100000000001' };
    if (service === 'scf') return scf(action, params);
    if (service === 'cls' && action === 'SearchLog') {
      // The function's lines between From and To, as SCF writes them to CLS (LogJson with SCF_* fields).
      const name = /SCF_FunctionName:"([^"]+)"/.exec(String(params.Query))?.[1] ?? '';
      const lines = (logLines.get(name) ?? []).filter((line) => line.time >= Number(params.From) && line.time <= Number(params.To));
      return {
        Results: lines.map((line) => ({ Time: line.time, TopicId: params.TopicId, LogJson: JSON.stringify({ SCF_FunctionName: name, SCF_RequestId: line.requestId, SCF_Message: line.message, SCF_Type: 'Custom' }) })),
        ListOver: true,
        Context: '',
      };
    }
    throw new ApiFailure('UnsupportedOperation', `the recorder does not answer ${service} ${action}`);
  }

  const originals = {
    capi: Capi.prototype.request,
    cos: Object.fromEntries(COS_METHODS.map((name) => [name, COS.prototype[name]])),
    http: http.request,
    https: https.request,
  };

  let requestCounter = 0;
  Capi.prototype.request = async function record(this: { options: Record<string, any> }, data: Record<string, any>, opts?: { host?: string }) {
    const { Action, Version: _version, RequestClient: _client, ...params } = data;
    // The endpoint host names the service (the account module signs as cam but calls account.tencentcloudapi.com).
    const service = opts?.host ? opts.host.split('.')[0]! : String(this.options.ServiceType);
    const region = String(this.options.Region);
    regionOf.current = region;
    calls.push({ service, region, action: String(Action), params: JSON.parse(JSON.stringify(params)) });
    requestCounter += 1;
    const RequestId = `recorded-${requestCounter}`;
    try {
      // Through JSON, as over the wire: the toolkit marks the trigger objects it is given (`compared`),
      // which must not reach the fake's own state.
      return { Response: { ...(JSON.parse(JSON.stringify(answer(service, String(Action), params))) as Record<string, unknown>), RequestId } };
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      return { Response: { Error: { Code: error.code, Message: error.message }, RequestId } };
    }
  };

  const cosCall = (action: string, handle: (p: Record<string, any>) => Promise<Record<string, unknown>>) =>
    async function recordCos(params: Record<string, any>, callback?: (error: unknown, data?: unknown) => void) {
      const { Body, ...shown } = params;
      const call: RecordedCall = { service: 'cos', region: String(params.Region), action, params: { ...shown } };
      calls.push(call);
      try {
        const result = await handle({ ...params, Body });
        if (Body !== undefined) call.params.bytes = (result.bytes as number | undefined) ?? 0;
        const data = { statusCode: 200, headers: {}, ...result };
        if (callback) callback(null, data);
        return data;
      } catch (error) {
        if (callback) callback(error);
        throw error;
      }
    };
  const cosHandlers: Record<(typeof COS_METHODS)[number], (p: Record<string, any>) => Promise<Record<string, unknown>>> = {
    putBucket: async (p) => {
      if (buckets.has(p.Bucket)) throw Object.assign(new Error('BucketAlreadyOwnedByYou'), { code: 'BucketAlreadyOwnedByYou', statusCode: 409 });
      buckets.add(p.Bucket);
      return {};
    },
    headBucket: async (p) => ({ statusCode: buckets.has(p.Bucket) ? 200 : 404 }),
    putBucketLifecycle: async () => ({}),
    putObject: async (p) => {
      if (!buckets.has(p.Bucket)) throw Object.assign(new Error('NoSuchBucket'), { code: 'NoSuchBucket', statusCode: 404 });
      const bytes = await bodyBytes(p.Body);
      objects.set(`${p.Bucket}/${p.Key}`, bytes);
      return { bytes: bytes.length };
    },
    getBucket: async (p) => {
      if (!buckets.has(p.Bucket)) throw Object.assign(new Error('NoSuchBucket'), { code: 'NoSuchBucket', statusCode: 404 });
      const prefix = `${p.Bucket}/`;
      return { Contents: [...objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => ({ Key: k.slice(prefix.length) })) };
    },
    deleteMultipleObject: async (p) => {
      for (const { Key } of p.Objects as { Key: string }[]) objects.delete(`${p.Bucket}/${Key}`);
      return {};
    },
    deleteBucket: async (p) => {
      buckets.delete(p.Bucket);
      return {};
    },
  };
  for (const name of COS_METHODS) COS.prototype[name] = cosCall(name, cosHandlers[name]);

  const refuse = () => {
    throw new Error('a recorder test tried to reach the network');
  };
  (http as { request: unknown }).request = refuse;
  (https as { request: unknown }).request = refuse;

  return {
    calls,
    functions,
    objects,
    logLines,
    exportState: () => ({ functions: [...functions], objects: [...objects].map(([key, bytes]) => [key, bytes.toString('base64')]), buckets: [...buckets] }),
    ofAction: (action) => calls.filter((call) => call.action === action),
    clearCalls: () => void calls.splice(0),
    restore() {
      Capi.prototype.request = originals.capi;
      for (const name of COS_METHODS) COS.prototype[name] = originals.cos[name];
      (http as { request: unknown }).request = originals.http;
      (https as { request: unknown }).request = originals.https;
    },
  };
}
