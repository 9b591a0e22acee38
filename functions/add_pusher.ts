/** add_pusher: takes (or updates) the caller's seat; creates the room if missing. */
import { z } from 'zod';
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { pushUrl, roomInfo, roomRequest, userAvatar, userName } from '../shared/http/fields';
import { addPusher } from '../shared/rooms/service';

export const endpoint = roomEndpoint({
  action: 'add_pusher',
  summary: "Takes (or updates) the caller's seat; creates the room (and its IM group) when it does not exist yet. Answers roomID when this call created the room.",
  output: z.object({ roomID: z.string().optional().describe('present when this call created the room') }),
  codes: [Code.ROOM_FULL, Code.IM_GROUP_FAILED, Code.VALUE_TOO_LONG, Code.ROOM_EXISTS, Code.ROOM_QUOTA],
  input: roomRequest.extend({
    userName: userName.default('').describe('at most 256 bytes (UTF-8)'),
    userAvatar: userAvatar.default('').describe('at most 1024 bytes (UTF-8)'),
    pushURL: pushUrl,
    roomInfo: roomInfo.default('').describe('used when this call creates the room; at most 1024 bytes (UTF-8), longer is code 10'),
  }),
  async run({ input, rt, roomType, actor }) {
    return addPusher(rt, actor, roomType, { ...input, roomId: input.roomID });
  },
});

export const main_handler = scfHandler(endpoint);
