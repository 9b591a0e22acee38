/** add_audience (live rooms): the caller joins the audience list (counted once). */
import { z } from 'zod';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomId, userId, userInfo } from '../shared/http/fields';

export const endpoint = defineEndpoint({
  action: 'add_audience',
  scope: 'room',
  method: 'POST',
  roomTypes: ['live_room'],
  auth: 'session',
  input: z.object({ userID: userId.optional(), roomID: roomId, userInfo: userInfo.default('') }),
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.addAudience(actor, roomType, input.roomID, input.userInfo);
  },
});

export const main_handler = scfHandler(endpoint);
