/** get_push_url: a signed RTMP push URL for the caller's stream. */
import { z } from 'zod';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { callerOnly, roomId } from '../shared/http/fields';
import { liveSigning } from '../shared/rooms/service';
import { pushUrl, userStreamName } from '../shared/sign/live-urls';

export const endpoint = roomEndpoint({
  action: 'get_push_url',
  summary: "A signed RTMP push URL for the caller's stream ({bizid}_{roomID}_{userID} with a roomID, else {bizid}_{userID}_{random}).",
  output: z.object({ pushURL: z.string() }),
  codes: [],
  input: callerOnly.extend({ roomID: roomId.optional().describe('the room the stream is for (names the stream)') }),
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.checkSession(actor, roomType);
    const live = liveSigning(rt);
    return { pushURL: pushUrl(live, userStreamName(live, actor.userId, input.roomID)) };
  },
});

export const main_handler = scfHandler(endpoint);
