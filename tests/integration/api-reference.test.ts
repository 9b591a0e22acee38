/**
 * The API reference and the typed client are generated from the endpoint
 * definitions and stay in step with them: the committed docs/api.md and
 * client/roomservice.ts are what `npm run docs:api` renders now; the
 * /openapi.json the router and the gateway serve is that document and is
 * valid OpenAPI 3.1; every endpoint of the router's list is in it; and the
 * client drives a real session through the gateway, its errors carrying the
 * answer's code.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomServiceClient, RoomServiceError } from '../../client';
import { loadEndpoints, ROUTES } from '../../functions/router';
import { functionNames } from '../../scripts/build';
import { setLogSink } from '../../shared/log';
import { openApiDocument } from '../../shared/http/openapi';
import { functionNameOf } from '../../shared/http/endpoint';
import { ADMIN_MD, API_MD, CLIENT_TS, generated } from '../../scripts/api-docs';
import { startGateway, type Gateway } from '../../scripts/gateway';
import type { FakeCloud } from '../support/fake-cloud';
import { invoke, pushUrlFor, startTestCloud, testEnv } from '../support/harness';

// Every definition the router serves (it loads each at its route's first request).
const ENDPOINTS = await loadEndpoints();

describe('generated reference', () => {
  it('docs/api.md, client/roomservice.ts and docs/admin.md are what the definitions generate (run `npm run docs:api`)', async () => {
    const { markdown, client, admin } = await generated();
    expect(readFileSync(ADMIN_MD, 'utf8'), 'docs/admin.md is out of date: npm run docs:api').toBe(admin);
    expect(readFileSync(API_MD, 'utf8'), 'docs/api.md is out of date: npm run docs:api').toBe(markdown);
    expect(readFileSync(CLIENT_TS, 'utf8'), 'client/roomservice.ts is out of date: npm run docs:api').toBe(client);
  });

  it("routes each path to the module that defines it, and every endpoint function has a route", async () => {
    for (const [key, load] of ROUTES) {
      const { endpoint } = await load();
      expect(`${endpoint.scope}/${endpoint.action}`, `the module routed at ${key}`).toBe(key);
    }
    // Every function but those with a pipeline of their own (the router, the admin plane, the sweeper's timer).
    const routed = ENDPOINTS.map(functionNameOf).sort();
    expect(functionNames().filter((name) => !['router', 'admin', 'sweeper'].includes(name))).toEqual(routed);
  });

  it('documents every endpoint the router serves, with its method, room types and codes', () => {
    const doc = openApiDocument(ENDPOINTS) as { paths: Record<string, Record<string, { operationId: string; 'x-room-types': string[]; 'x-result-codes': number[] }>> };
    const operations = Object.values(doc.paths).flatMap((item) => Object.entries(item).map(([method, op]) => ({ method, ...op })));
    expect(operations.map((op) => op.operationId).sort()).toEqual(ENDPOINTS.map(functionNameOf).sort());
    for (const def of ENDPOINTS) {
      const op = operations.find((o) => o.operationId === functionNameOf(def))!;
      expect(op.method).toBe(def.method.toLowerCase());
      expect(op['x-room-types']).toEqual(def.scope !== 'room' ? [] : [...(def.roomTypes ?? ['double_room', 'multi_room', 'live_room'])]);
      for (const code of def.codes) expect(op['x-result-codes']).toContain(code);
    }
  });
});

describe('GET /openapi.json', () => {
  // The router answers it before any runtime or store is needed.
  it('the router serves the generated document, and it validates as OpenAPI 3.1', async () => {
    const answer = await invoke('/openapi.json', { method: 'GET' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(JSON.parse(JSON.stringify(openApiDocument(ENDPOINTS))));
    const validator = new Validator();
    const result = await validator.validate(answer.body as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('the validator does reject a broken document (so the check above can fail)', async () => {
    const broken = JSON.parse(JSON.stringify(openApiDocument(ENDPOINTS))) as { paths: Record<string, Record<string, { responses?: unknown }>> };
    delete broken.paths['/weapp/{roomType}/login']!.post!.responses;
    (broken.paths['/weapp/{roomType}/login']!.post as Record<string, unknown>).parameters = [{ in: 'nowhere' }];
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });
});

describe('typed client through the local gateway (embedded store)', () => {
  let fake: FakeCloud;
  let gw: Gateway;
  const api = () => new RoomServiceClient({ baseUrl: gw.url });

  beforeAll(async () => {
    setLogSink(() => undefined);
    fake = await startTestCloud();
    const env = testEnv(fake, `test-client-${randomBytes(3).toString('hex')}`);
    delete env.REDIS_URL;
    gw = await startGateway({ env, port: 0, sweepIntervalMs: 0, quiet: true });
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  it('the gateway serves /openapi.json too', async () => {
    const response = await fetch(`${gw.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('plays a live-room session with typed results; a refusal throws RoomServiceError with the code', async () => {
    const host = api();
    const viewer = api();
    for (const [client, user] of [[host, 'host'], [viewer, 'viewer']] as const) {
      const info = await client.getLoginInfo({ userID: user });
      const session = await client.login('live_room', { sdkAppID: info.sdkAppID, userID: user, userSig: info.userSig });
      expect(client.session).toEqual({ userID: user, token: session.token });
    }
    const { roomID } = await host.createRoom('live_room', { roomInfo: 'show' });
    const { pushURL } = await host.getPushUrl('live_room', { roomID });
    expect(pushURL).toMatch(/^rtmp:\/\//);
    await host.addPusher('live_room', { roomID, userName: 'Host', pushURL });
    await host.pusherHeartbeat('live_room', { roomID });
    expect((await host.setCustomField('live_room', { roomID, fieldName: 'likes', operation: 'inc', value: 3 })).custom).toBe('{"likes":3}');
    await viewer.addAudience('live_room', { roomID, userInfo: 'v' });
    const room = await viewer.getPushers('live_room', { roomID });
    expect([room.roomCreator, room.pushers.map((p) => p.userID), room.audienceCount]).toEqual(['host', ['host'], 1]);
    const list = await viewer.getRoomList('live_room', { index: 0, cnt: 5 });
    expect(list.rooms.map((r) => r.roomID)).toEqual([roomID]);

    const refused = await viewer.deletePusher('live_room', { roomID }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RoomServiceError);
    expect([(refused as RoomServiceError).code, (refused as RoomServiceError).status]).toEqual([5, 200]);
    await expect(host.getPushers('live_room', { roomID: 'bad id!' })).rejects.toMatchObject({ code: 1, status: 400, message: expect.stringMatching(/roomID/) });

    await host.deletePusher('live_room', { roomID });
    await host.logout('live_room');
    expect(host.session).toBeUndefined();
    await expect(host.getRoomList('live_room')).rejects.toMatchObject({ code: 7 });
    // Not pushURL-signed for this service: code 1, through the same typed path.
    await expect(viewer.addPusher('live_room', { roomID: 'other', pushURL: pushUrlFor('viewer').replace('txSecret=', 'txSecret=0') })).rejects.toMatchObject({ code: 1 });
  });

  it('plays a TRTC-room session as the PC web client does: nickNames, members, the room entered, accountType', async () => {
    const client = api();
    const info = await client.webrtcGetLoginInfo({ userID: 'teacher' });
    const created = await client.webrtcCreateRoom({ userID: 'teacher', nickName: 'Teacher', roomInfo: 'class' });
    const entered = await client.webrtcEnterRoom({ userID: 'pupil', nickName: 'Pupil', roomID: created.roomID });
    await client.webrtcHeartbeat({ userID: 'pupil', roomID: entered.roomID });
    const { members } = await client.webrtcGetRoomMembers({ roomID: created.roomID });
    const list = await client.webrtcGetRoomList({ index: 0, count: 5 });

    expect(info.accountType).toBe('0');
    expect(created.roomInfo).toBe('class');
    expect(entered.roomID).toBe(created.roomID);
    expect([...members].sort((a, b) => (a.userID < b.userID ? -1 : 1))).toEqual([
      { userID: 'pupil', nickName: 'Pupil' },
      { userID: 'teacher', nickName: 'Teacher' },
    ]);
    expect(list.rooms.map((room) => room.roomID)).toEqual([created.roomID]);
    await client.webrtcQuitRoom({ userID: 'pupil', roomID: created.roomID });
    await client.webrtcQuitRoom({ userID: 'teacher', roomID: created.roomID });
    await expect(client.webrtcGetRoomMembers({ roomID: created.roomID })).rejects.toMatchObject({ code: 3, status: 200 });
  });
});
