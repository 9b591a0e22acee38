/** pusher_heartbeat: the hot path; one Redis round trip including the session check. */
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { noFields, roomRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'pusher_heartbeat',
  summary: "Keeps the caller's seat: a seat without a heartbeat for HEARTBEAT_TIMEOUT seconds is gone.",
  output: noFields,
  codes: [Code.NOT_A_MEMBER],
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.heartbeat(actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
