/** webrtc_room/enter_room: the caller enters a TRTC room (created when it does not exist) and gets its PrivateMapKey (docs/protocol.md §7). */
import { z } from 'zod';
import { Code } from '../shared/errors';
import { scfHandler } from '../shared/http/endpoint';
import { webrtcEndpoint } from '../shared/http/webrtc-endpoint';
import { nickName, roomInfo, webrtcRoomRequest } from '../shared/http/fields';
import { enterRoom } from '../shared/rooms/webrtc';

export const endpoint = webrtcEndpoint({
  action: 'enter_room',
  summary: 'Takes a member seat in the room (creating the room when it does not exist, as TRTC does on first entry) and answers the PrivateMapKey for it; a full room is 5001 and gets no key.',
  output: z.object({
    userID: z.string().describe('the caller'),
    roomID: z.string().describe('the room entered, as stored (the PC web client heartbeats with this one)'),
    privateMapKey: z.string().describe('entry ticket for this user and room (TRTC_PRIVILEGE_MAP, plus create for the room\'s creator; TRTC_PRIVATE_MAP_KEY_TTL seconds)'),
  }),
  codes: [Code.ROOM_FULL, Code.VALUE_TOO_LONG, Code.ROOM_EXISTS, Code.ROOM_QUOTA, Code.IM_GROUP_FAILED],
  input: webrtcRoomRequest.extend({
    roomInfo: roomInfo.default('').describe("the room's name if this call creates it (at most 1024 bytes; longer is code 10)"),
    nickName: nickName.optional().describe("the member's display name, kept with the member (get_room_members; entering again replaces it): at most 256 bytes (UTF-8)"),
  }),
  async run({ input, rt, actor }) {
    const { privateMapKey } = await enterRoom(rt, actor!, input.roomID, input.roomInfo, input.nickName);
    return { userID: actor!.userId, roomID: input.roomID, privateMapKey };
  },
});

export const main_handler = scfHandler(endpoint);
