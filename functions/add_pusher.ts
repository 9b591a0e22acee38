/** add_pusher: takes (or updates) the caller's seat; creates the room if missing. */
import { z } from 'zod';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { pushUrl, roomId, roomInfo, userAvatar, userId, userName } from '../shared/http/fields';
import { addPusher } from '../shared/rooms/service';

export const endpoint = defineEndpoint({
  action: 'add_pusher',
  scope: 'room',
  method: 'POST',
  auth: 'session',
  input: z.object({
    userID: userId.optional(),
    roomID: roomId,
    userName: userName.default(''),
    userAvatar: userAvatar.default(''),
    pushURL: pushUrl,
    roomInfo: roomInfo.default(''),
  }),
  async run({ input, rt, roomType, actor }) {
    return addPusher(rt, actor, roomType, { ...input, roomId: input.roomID });
  },
});

export const main_handler = scfHandler(endpoint);
