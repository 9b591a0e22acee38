/** get_push_url: a signed RTMP push URL for the caller's stream. */
import { z } from 'zod';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomId, userId } from '../shared/http/fields';
import { liveSigning } from '../shared/rooms/service';
import { pushUrl, userStreamName } from '../shared/sign/live-urls';

export const endpoint = roomEndpoint({
  action: 'get_push_url',
  input: z.object({ userID: userId.optional(), roomID: roomId.optional() }),
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.checkSession(actor, roomType);
    const live = liveSigning(rt);
    return { pushURL: pushUrl(live, userStreamName(live, actor.userId, input.roomID)) };
  },
});

export const main_handler = scfHandler(endpoint);
