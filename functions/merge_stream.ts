/**
 * merge_stream (live rooms): what the old liveroom.js sends (a mix_streamv2
 * request) becomes CreateCommonMixStream / CancelCommonMixStream. Only the
 * room's creator mixes, only the streams of this room's pushers, and the
 * session and output ids come from the room, never from the caller.
 */
import { z } from 'zod';
import { CloudApiError } from '../shared/cloud/client';
import { Code, cloudApiFailed } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest } from '../shared/http/fields';
import { mixRequest, mixSessionId, parseMergeParams } from '../shared/live/mix';

export const endpoint = roomEndpoint({
  action: 'merge_stream',
  summary: "Starts or cancels the room's mixed stream (liveroom.js's Mix_StreamV2 request, run as CreateCommonMixStream / CancelCommonMixStream); only the creator, only this room's pushers' streams.",
  output: z.object({ result: z.unknown().describe("the live API's answer") }),
  codes: [Code.ROOM_NOT_FOUND, Code.VALUE_TOO_LONG, Code.CLOUD_API_FAILED],
  roomTypes: ['live_room'],
  input: roomRequest.extend({ mergeParams: z.unknown().describe('the Mix_StreamV2 parameters: a JSON object, or a string holding one (not JSON: code 10)') }),
  async run({ input, rt, roomType, actor }) {
    const request = parseMergeParams(input.mergeParams);
    // Also checks the session; the room must exist with live seats.
    const room = await rt.rooms.roomStreams(actor, roomType, input.roomID);
    const mix = mixRequest(request, actor.userId, room);
    const sessionId = mixSessionId(input.roomID);
    let requestId: string;
    try {
      ({ requestId } = mix.cancel ? await rt.live.cancelMix(sessionId) : await rt.live.startMix(sessionId, mix.output, mix.inputs));
    } catch (error) {
      // The live API failing is the service's upstream failing: 5004, HTTP 502.
      if (error instanceof CloudApiError) throw cloudApiFailed(error);
      throw error;
    }
    // The shape of the old mix_streamv2 answer, which liveroom.js reads.
    return { result: { code: 0, message: 'success', timestamp: Math.floor(Date.now() / 1000), requestId } };
  },
});

export const main_handler = scfHandler(endpoint);
