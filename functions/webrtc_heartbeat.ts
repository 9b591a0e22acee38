/** webrtc_room/heartbeat: keeps the caller's seat; one Redis round trip (docs/protocol.md §7). */
import { Code } from '../shared/errors';
import { scfHandler } from '../shared/http/endpoint';
import { webrtcEndpoint } from '../shared/http/webrtc-endpoint';
import { noFields, webrtcRoomRequest } from '../shared/http/fields';

export const endpoint = webrtcEndpoint({
  action: 'heartbeat',
  summary: "Keeps the caller's seat (webrtcroom.js beats every 7 s): a member silent for WEBRTC_ROOM_HEARTBEAT_TIMEOUT (default HEARTBEAT_TIMEOUT) is evicted and removed from the TRTC room, unless a TRTC callback reported it present.",
  output: noFields,
  codes: [Code.NOT_A_MEMBER],
  input: webrtcRoomRequest,
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.heartbeat(actor!, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
