/** add_audience (live rooms): the caller joins the audience list (counted once). */
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest, userInfo } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'add_audience',
  roomTypes: ['live_room'],
  input: roomRequest.extend({ userInfo: userInfo.optional() }),
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.addAudience(actor, roomType, input.roomID, input.userInfo);
  },
});

export const main_handler = scfHandler(endpoint);
