/** add_pusher: takes (or updates) the caller's seat; creates the room if missing. */
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { pushUrl, roomInfo, roomRequest, userAvatar, userName } from '../shared/http/fields';
import { addPusher } from '../shared/rooms/service';

export const endpoint = roomEndpoint({
  action: 'add_pusher',
  input: roomRequest.extend({
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
