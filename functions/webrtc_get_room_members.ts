/** webrtc_room/get_room_members: who is in a TRTC room, with the nickNames they entered with (docs/protocol.md §7). */
import { z } from 'zod';
import { Code } from '../shared/errors';
import { scfHandler } from '../shared/http/endpoint';
import { webrtcEndpoint } from '../shared/http/webrtc-endpoint';
import { userId, webrtcRoomId, webrtcToken } from '../shared/http/fields';
import { roomMembers } from '../shared/rooms/webrtc';

export const endpoint = webrtcEndpoint({
  action: 'get_room_members',
  summary: "The room's live members and their nickNames (the PC web client's member list, every 3 s; anonymous in AUTH_MODE demo, as that client sends only roomID); a room that does not exist is code 3.",
  output: z.object({
    members: z.array(z.object({ userID: z.string(), nickName: z.string().describe("the nickName sent with create_room / enter_room ('' when none)") })).describe('members with a live heartbeat or TRTC presence'),
  }),
  codes: [Code.ROOM_NOT_FOUND],
  input: z.object({
    userID: userId.optional().describe("the caller (optional in AUTH_MODE demo); with a proof it must be the proof's user"),
    roomID: webrtcRoomId,
    token: webrtcToken,
  }),
  async run({ input, rt, req, actor }) {
    return { members: await roomMembers(rt, actor, req.sourceIp, input.roomID) };
  },
});

export const main_handler = scfHandler(endpoint);
