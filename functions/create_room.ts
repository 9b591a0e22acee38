/** create_room: makes the IM group, then an inactive room with the caller as creator. */
import { z } from 'zod';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomId, roomInfo, userId } from '../shared/http/fields';
import { createRoom } from '../shared/rooms/service';

export const endpoint = roomEndpoint({
  action: 'create_room',
  input: z.object({ userID: userId.optional(), roomInfo: roomInfo.default(''), roomID: roomId.optional() }),
  async run({ input, rt, roomType, actor }) {
    return { roomID: await createRoom(rt, actor, roomType, input.roomInfo, input.roomID) };
  },
});

export const main_handler = scfHandler(endpoint);
