/**
 * set_custom_field (live rooms): a pusher of the room incs/decs an integer
 * counter or sets a value; answers `custom` with the changed field only. An
 * optional `opID` makes a retry safe: the same caller's repeated opID is
 * answered with the first result and not applied again.
 */
import { z } from 'zod';
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest, text } from '../shared/http/fields';

const isStep = (value: string | number) => {
  const step = typeof value === 'number' ? value : /^-?\d{1,16}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(step);
};

export const endpoint = roomEndpoint({
  action: 'set_custom_field',
  summary: 'A pusher of the live room changes one custom field: inc/dec an integer counter by value (default 1), or set a string or number; answers custom with the changed field only. Fields and bytes per room are capped (code 10).',
  output: z.object({ custom: z.string().describe('the field this call changed, as a JSON object in a string, e.g. {"likes":3}') }),
  codes: [Code.ROOM_NOT_FOUND, Code.NOT_A_MEMBER, Code.VALUE_TOO_LONG],
  roomTypes: ['live_room'],
  input: roomRequest
    .extend({
      fieldName: text().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ - .').describe('1-64 of A-Z a-z 0-9 _ - .'),
      operation: z.enum(['inc', 'dec', 'set'], { error: 'must be inc, dec or set' }).describe('inc/dec: add/subtract value (default 1) to an integer counter (a non-integer stored value is code 1); set: store value'),
      value: z.union([z.string().max(256, 'is longer than 256 characters'), z.number().finite()], { error: 'must be a short string or a number' })
        .optional()
        .describe('set: a string of at most 256 characters or a number (required); inc/dec: an integer step, a number or digits (else code 1)'),
      opID: text().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ - . :').optional().describe('optional id of this change: a retry with the same opID is answered with the first result and not applied again'),
    })
    .refine((body) => body.operation !== 'set' || body.value !== undefined, { message: 'is required for operation set', path: ['value'] })
    // inc/dec add `value` (default 1); a step that is not an integer is refused, never ignored.
    .refine((body) => body.operation === 'set' || body.value === undefined || isStep(body.value), {
      message: 'must be an integer (a number or digits) for inc and dec',
      path: ['value'],
    }),
  async run({ input, rt, roomType, actor }) {
    const change = { field: input.fieldName, op: input.operation, value: input.value, opId: input.opID };
    return { custom: await rt.rooms.setCustomField(actor, roomType, input.roomID, change) };
  },
});

export const main_handler = scfHandler(endpoint);
