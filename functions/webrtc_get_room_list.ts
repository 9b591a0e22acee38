/** webrtc_room/get_room_list: one page of TRTC rooms in creation order (docs/protocol.md §7). */
import { z } from 'zod';
import { scfHandler } from '../shared/http/endpoint';
import { webrtcEndpoint } from '../shared/http/webrtc-endpoint';
import { roomListPage, roomListPageSize, userId, webrtcToken } from '../shared/http/fields';
import { listRooms } from '../shared/rooms/webrtc';

export const endpoint = webrtcEndpoint({
  action: 'get_room_list',
  summary: 'One page of the TRTC rooms with a live member, in creation order (anonymous in AUTH_MODE demo, as webrtcroom.js sends no userID here).',
  output: z.object({
    rooms: z.array(
      z.object({
        roomID: z.string(),
        roomInfo: z.string().describe("the room's name as its creator gave it"),
        roomCreator: z.string(),
        members: z.array(z.object({ userID: z.string(), nickName: z.string().describe("as sent with create_room / enter_room ('' when none)") })).describe('members with a live heartbeat or TRTC presence, in join order'),
      }),
    ),
  }),
  codes: [],
  input: z.object({
    userID: userId.optional().describe("the caller (optional in AUTH_MODE demo); with a proof it must be the proof's user"),
    token: webrtcToken,
    ...roomListPage,
    roomType: z.string().max(32, 'is longer than 32 characters').optional().describe('"trtc" as webrtcroom.js sends it (ignored)'),
  }),
  async run({ input, rt, req, actor }) {
    return { rooms: await listRooms(rt, actor, req.sourceIp, input.index, roomListPageSize(input)) };
  },
});

export const main_handler = scfHandler(endpoint);
