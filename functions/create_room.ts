/** create_room: makes the IM group, then an inactive room with the caller as creator. */
import { z } from 'zod';
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { callerOnly, roomId, roomInfo } from '../shared/http/fields';
import { createRoom } from '../shared/rooms/service';

export const endpoint = roomEndpoint({
  action: 'create_room',
  summary: 'Creates a room (and its IM group) without entering it; it is listed once a pusher joins, and reclaimed after ROOM_IDLE_TIMEOUT if nobody does.',
  output: z.object({ roomID: z.string().describe('the room id (generated when none was given)') }),
  codes: [Code.IM_GROUP_FAILED, Code.VALUE_TOO_LONG, Code.ROOM_EXISTS, Code.ROOM_QUOTA],
  input: callerOnly.extend({ roomInfo: roomInfo.default(''), roomID: roomId.optional().describe('wanted room id; omitted: room_xxxxxxxx_xxxx is generated') }),
  async run({ input, rt, roomType, actor }) {
    return { roomID: await createRoom(rt, actor, roomType, input.roomInfo, input.roomID) };
  },
});

export const main_handler = scfHandler(endpoint);
