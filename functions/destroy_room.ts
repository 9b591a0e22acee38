/** destroy_room: the creator ends the room and its IM group. */
import { z } from 'zod';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomId, userId } from '../shared/http/fields';
import { destroyRoom } from '../shared/rooms/service';

export const endpoint = defineEndpoint({
  action: 'destroy_room',
  scope: 'room',
  method: 'POST',
  auth: 'session',
  input: z.object({ userID: userId.optional(), roomID: roomId }),
  async run({ input, rt, roomType, actor }) {
    await destroyRoom(rt, actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
