/** pusher_heartbeat: the hot path; one Redis round trip including the session check. */
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'pusher_heartbeat',
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.heartbeat(actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
