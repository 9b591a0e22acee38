/** delete_pusher: the caller leaves its seat (the room may end with it). */
import { z } from 'zod';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomId, userId } from '../shared/http/fields';
import { deletePusher } from '../shared/rooms/service';

export const endpoint = defineEndpoint({
  action: 'delete_pusher',
  scope: 'room',
  method: 'POST',
  auth: 'session',
  input: z.object({ userID: userId.optional(), roomID: roomId }),
  async run({ input, rt, roomType, actor }) {
    await deletePusher(rt, actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
