/** get_custom_info (live rooms): the room's custom counters as a JSON string. */
import { z } from 'zod';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomId, userId } from '../shared/http/fields';

export const endpoint = defineEndpoint({
  action: 'get_custom_info',
  scope: 'room',
  method: 'POST',
  roomTypes: ['live_room'],
  auth: 'session',
  input: z.object({ userID: userId.optional(), roomID: roomId }),
  async run({ input, rt, roomType, actor }) {
    return { custom: (await rt.rooms.getRoom(actor, roomType, input.roomID)).custom };
  },
});

export const main_handler = scfHandler(endpoint);
