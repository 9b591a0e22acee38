/**
 * merge_stream's rules: the old client's mix_streamv2 parameters, read and
 * checked against the room before any cloud call.
 *
 * liveroom.js sends `mergeParams` = {timestamp, eventId, interface:
 * {interfaceName: "Mix_StreamV2", para: {interface:
 * "mix_streamv2.start_mix_stream_advanced", mix_stream_session_id,
 * output_stream_id, input_stream_list: [{input_stream_id, layout_params:
 * {image_layer, image_width, image_height, location_x, location_y}}]}}};
 * `para` alone is accepted too. A start listing only the host's stream is how
 * mix_streamv2 ended a mix; `mix_streamv2.cancel_mix_stream` is taken as well.
 */
import { createHash } from 'node:crypto';
import { AppError, Code, invalidParam } from '../errors';
import type { MixInput } from './client';

export type MixParams = { cancel: true } | { cancel: false; inputs: MixInput[] };

/** CreateCommonMixStream takes up to 16 inputs. */
const MAX_INPUTS = 16;
const START = 'mix_streamv2.start_mix_stream_advanced';
const CANCEL = 'mix_streamv2.cancel_mix_stream';

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function jsonObject(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null || value === '') throw invalidParam('mergeParams');
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new AppError(Code.VALUE_TOO_LONG, 'mergeParams is not valid JSON');
    }
  }
  if (!isObject(parsed)) throw new AppError(Code.VALUE_TOO_LONG, 'mergeParams is not a JSON object');
  return parsed;
}

function layoutNumber(layout: Record<string, unknown>, field: string, where: string, integer = false): number | undefined {
  const value = layout[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw invalidParam(`${where}.${field}`, `must be a non-negative ${integer ? 'integer' : 'number'}`);
  }
  return value;
}

/** The client's request: a start with its inputs, or a cancel. Code 10 (not JSON) or 1 (not a mix request). */
export function parseMergeParams(value: unknown): MixParams {
  const params = jsonObject(value);
  const para = isObject(params.interface) && isObject(params.interface.para) ? params.interface.para : params;
  if (para.interface === CANCEL) return { cancel: true };
  if (para.interface !== START) throw invalidParam('mergeParams', `must be a ${START} or ${CANCEL} request`);
  const list = para.input_stream_list;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_INPUTS) {
    throw invalidParam('mergeParams input_stream_list', `must list 1 to ${MAX_INPUTS} streams`);
  }
  const inputs = list.map((entry: unknown, i): MixInput => {
    const where = `mergeParams input_stream_list[${i}]`;
    if (!isObject(entry) || typeof entry.input_stream_id !== 'string' || entry.input_stream_id === '') throw invalidParam(`${where}.input_stream_id`);
    const layout = isObject(entry.layout_params) ? entry.layout_params : undefined;
    if (!layout) throw invalidParam(`${where}.layout_params`);
    const imageLayer = layoutNumber(layout, 'image_layer', `${where}.layout_params`, true);
    if (imageLayer === undefined) throw invalidParam(`${where}.layout_params.image_layer`);
    return {
      streamName: entry.input_stream_id,
      layout: {
        imageLayer,
        inputType: layoutNumber(layout, 'input_type', `${where}.layout_params`, true),
        imageWidth: layoutNumber(layout, 'image_width', `${where}.layout_params`),
        imageHeight: layoutNumber(layout, 'image_height', `${where}.layout_params`),
        locationX: layoutNumber(layout, 'location_x', `${where}.layout_params`),
        locationY: layoutNumber(layout, 'location_y', `${where}.layout_params`),
      },
    };
  });
  return { cancel: false, inputs };
}

/**
 * Checks the request against the room: the caller is its creator and pushing,
 * every input is the stream of one of its live seats. The output is the
 * creator's stream (as with mix_streamv2). Code 1 otherwise.
 */
export function mixRequest(
  request: MixParams,
  caller: string,
  room: { creator: string; streams: Map<string, string> },
): { cancel: true } | { cancel: false; output: string; inputs: MixInput[] } {
  if (caller !== room.creator) throw invalidParam('userID', 'is not the creator of this room: only the creator mixes its streams');
  const output = room.streams.get(room.creator);
  if (!output) throw invalidParam('userID', 'is not pushing in this room: the creator must push to mix');
  if (request.cancel) return request;
  const roomStreams = new Set(room.streams.values());
  request.inputs.forEach((input, i) => {
    if (!roomStreams.has(input.streamName)) {
      throw invalidParam(`mergeParams input_stream_list[${i}].input_stream_id`, `${input.streamName} is not the stream of a pusher of this room`);
    }
  });
  // Only the host's own stream left: nothing to mix, which mix_streamv2 read as "stop mixing".
  if (request.inputs.every((input) => input.streamName === output)) return { cancel: true };
  return { cancel: false, output, inputs: request.inputs };
}

/** MixStreamSessionId (up to 80 letters, digits, underscores), from the room id alone. */
export function mixSessionId(roomId: string): string {
  return /^[A-Za-z0-9_]{1,72}$/.test(roomId) ? `room_${roomId}` : `room_${createHash('sha256').update(roomId, 'utf8').digest('hex').slice(0, 40)}`;
}
