/** get_audiences (live rooms): the audience list and its distinct count. */
import { z } from 'zod';
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'get_audiences',
  summary: 'Lists the audience of a live room.',
  output: z.object({
    audienceCount: z.number().int(),
    audiences: z.array(z.object({ userID: z.string(), userInfo: z.string() })),
  }),
  codes: [Code.ROOM_NOT_FOUND],
  roomTypes: ['live_room'],
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    const audiences = await rt.rooms.getAudiences(actor, roomType, input.roomID);
    return { audienceCount: audiences.length, audiences };
  },
});

export const main_handler = scfHandler(endpoint);
