/** add_audience (live rooms): the caller joins the audience list (counted once). */
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { noFields, roomRequest, userInfo } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'add_audience',
  summary: 'Joins the audience of a live room (counted once; capped at LIVE_ROOM_MAX_AUDIENCES, beyond which a newcomer gets code 1).',
  output: noFields,
  codes: [Code.ROOM_NOT_FOUND],
  roomTypes: ['live_room'],
  input: roomRequest.extend({ userInfo: userInfo.optional().describe('at most 1024 bytes (UTF-8); omitted: a returning member keeps the stored one') }),
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.addAudience(actor, roomType, input.roomID, input.userInfo);
  },
});

export const main_handler = scfHandler(endpoint);
