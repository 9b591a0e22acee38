/** webrtc_room/create_room: a new TRTC room with the caller in it, and its PrivateMapKey (docs/protocol.md §7). */
import { z } from 'zod';
import { Code } from '../shared/errors';
import { scfHandler } from '../shared/http/endpoint';
import { webrtcEndpoint } from '../shared/http/webrtc-endpoint';
import { nickName, roomInfo, webrtcToken, webrtcUser } from '../shared/http/fields';
import { createRoom } from '../shared/rooms/webrtc';

export const endpoint = webrtcEndpoint({
  action: 'create_room',
  summary: 'Creates a TRTC room under a generated room number with the caller in it as creator, and answers its PrivateMapKey (with the create privilege).',
  output: z.object({
    userID: z.string().describe('the caller (webrtc_server_java answers it too)'),
    roomID: z.string().describe('the generated room number (digits: a numeric TRTC room)'),
    roomInfo: z.string().describe("the room's name as stored"),
    privateMapKey: z.string().describe('entry ticket for this user and room (TRTC_PRIVILEGE_MAP plus create; TRTC_PRIVATE_MAP_KEY_TTL seconds)'),
  }),
  codes: [Code.VALUE_TOO_LONG, Code.ROOM_EXISTS, Code.ROOM_QUOTA, Code.IM_GROUP_FAILED],
  input: z.object({
    userID: webrtcUser,
    token: webrtcToken,
    roomInfo: roomInfo.default(''),
    nickName: nickName.optional().describe("the creator's display name, kept with the member (get_room_members): at most 256 bytes (UTF-8)"),
    roomType: z.string().max(32, 'is longer than 32 characters').optional().describe('"trtc" as webrtcroom.js sends it (ignored)'),
  }),
  async run({ input, rt, actor }) {
    const created = await createRoom(rt, actor!, input.roomInfo, input.nickName);
    return { userID: actor!.userId, ...created, roomInfo: input.roomInfo };
  },
});

export const main_handler = scfHandler(endpoint);
