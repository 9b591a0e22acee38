/** destroy_room: the creator ends the room and its IM group. */
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest } from '../shared/http/fields';
import { destroyRoom } from '../shared/rooms/service';

export const endpoint = roomEndpoint({
  action: 'destroy_room',
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    await destroyRoom(rt, actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
