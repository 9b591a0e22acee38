/** pusher_heartbeat: the hot path; one Redis round trip including the session check. */
import { z } from 'zod';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomId, userId } from '../shared/http/fields';

export const endpoint = defineEndpoint({
  action: 'pusher_heartbeat',
  scope: 'room',
  method: 'POST',
  auth: 'session',
  input: z.object({ userID: userId.optional(), roomID: roomId }),
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.heartbeat(actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
