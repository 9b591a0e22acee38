/** get_audiences (live rooms): the audience list and its distinct count. */
import { z } from 'zod';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomId, userId } from '../shared/http/fields';

export const endpoint = defineEndpoint({
  action: 'get_audiences',
  scope: 'room',
  method: 'POST',
  roomTypes: ['live_room'],
  auth: 'session',
  input: z.object({ userID: userId.optional(), roomID: roomId }),
  async run({ input, rt, roomType, actor }) {
    const audiences = await rt.rooms.getAudiences(actor, roomType, input.roomID);
    return { audienceCount: audiences.length, audiences };
  },
});

export const main_handler = scfHandler(endpoint);
