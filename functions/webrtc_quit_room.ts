/** webrtc_room/quit_room: the caller leaves the TRTC room (docs/protocol.md §7). */
import { Code } from '../shared/errors';
import { scfHandler } from '../shared/http/endpoint';
import { webrtcEndpoint } from '../shared/http/webrtc-endpoint';
import { noFields, webrtcRoomRequest } from '../shared/http/fields';
import { quitRoom } from '../shared/rooms/webrtc';

export const endpoint = webrtcEndpoint({
  action: 'quit_room',
  summary: "Leaves the room: the last member leaving (or its creator, with WEBRTC_ROOM_CREATOR_CAN_DESTROY_ROOM) ends it and dismisses the TRTC room.",
  output: noFields,
  codes: [Code.NOT_A_MEMBER],
  input: webrtcRoomRequest,
  async run({ input, rt, actor }) {
    await quitRoom(rt, actor!, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
