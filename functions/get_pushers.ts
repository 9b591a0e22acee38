/** get_pushers: the room detail (pushers without their push URLs). */
import { z } from 'zod';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomId, userId } from '../shared/http/fields';

export const endpoint = defineEndpoint({
  action: 'get_pushers',
  scope: 'room',
  method: 'POST',
  auth: 'session',
  input: z.object({ userID: userId.optional(), roomID: roomId }),
  async run({ input, rt, roomType, actor }) {
    return { ...(await rt.rooms.getRoom(actor, roomType, input.roomID)) };
  },
});

export const main_handler = scfHandler(endpoint);
