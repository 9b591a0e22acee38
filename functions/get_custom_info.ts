/** get_custom_info (live rooms): the room's custom counters as a JSON string. */
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { customFields, roomRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'get_custom_info',
  summary: 'Reads the custom fields of a live room.',
  output: customFields,
  codes: [Code.ROOM_NOT_FOUND],
  roomTypes: ['live_room'],
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    return { custom: (await rt.rooms.getRoom(actor, roomType, input.roomID)).custom };
  },
});

export const main_handler = scfHandler(endpoint);
