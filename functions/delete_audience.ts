/** delete_audience (live rooms): the caller leaves the audience list. */
import { z } from 'zod';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomId, userId } from '../shared/http/fields';

export const endpoint = defineEndpoint({
  action: 'delete_audience',
  scope: 'room',
  method: 'POST',
  roomTypes: ['live_room'],
  auth: 'session',
  input: z.object({ userID: userId.optional(), roomID: roomId }),
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.removeAudience(actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
