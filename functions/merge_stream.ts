/** merge_stream (live rooms): forwards the client's mix parameters to the live API. */
import { z } from 'zod';
import { AppError, Code, cloudApiFailed, invalidParam } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest } from '../shared/http/fields';

function mergeParams(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null || value === '') throw invalidParam('mergeParams');
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new AppError(Code.VALUE_TOO_LONG, 'mergeParams is not valid JSON');
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AppError(Code.VALUE_TOO_LONG, 'mergeParams is not a JSON object');
  try {
    JSON.stringify(parsed); // the live client serialises it; refuse what cannot be
  } catch {
    throw new AppError(Code.VALUE_TOO_LONG, 'mergeParams is nested too deeply');
  }
  return parsed as Record<string, unknown>;
}

export const endpoint = roomEndpoint({
  action: 'merge_stream',
  summary: "Starts or cancels a mixed stream through the live API (Mix_StreamV2), passing mergeParams through; the room must exist.",
  output: z.object({ result: z.unknown().describe("the live API's answer") }),
  codes: [Code.ROOM_NOT_FOUND, Code.VALUE_TOO_LONG, Code.CLOUD_API_FAILED],
  roomTypes: ['live_room'],
  input: roomRequest.extend({ mergeParams: z.unknown().describe('the Mix_StreamV2 parameters: a JSON object, or a string holding one (not JSON: code 10)') }),
  async run({ input, rt, roomType, actor }) {
    const params = mergeParams(input.mergeParams);
    // The room must exist (this also checks the session).
    await rt.rooms.getRoom(actor, roomType, input.roomID);
    try {
      return { result: await rt.live.startMixStream(params) };
    } catch (error) {
      throw cloudApiFailed('live API Mix_StreamV2', error instanceof Error ? error.message : String(error));
    }
  },
});

export const main_handler = scfHandler(endpoint);
