/** destroy_room: the creator ends the room and its IM group. */
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { noFields, roomRequest } from '../shared/http/fields';
import { destroyRoom } from '../shared/rooms/service';

export const endpoint = roomEndpoint({
  action: 'destroy_room',
  summary: 'Ends the room and destroys its IM group; only its creator may.',
  output: noFields,
  codes: [Code.ROOM_NOT_FOUND],
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    await destroyRoom(rt, actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
