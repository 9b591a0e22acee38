/**
 * set_custom_field (live rooms): a pusher of the room incs/decs an integer
 * counter or sets a value; answers `custom` with the changed field only. An
 * optional `opID` makes a retry safe: the same caller's repeated opID is
 * answered with the first result and not applied again.
 */
import { z } from 'zod';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'set_custom_field',
  roomTypes: ['live_room'],
  input: roomRequest
    .extend({
      fieldName: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ - .'),
      operation: z.enum(['inc', 'dec', 'set'], { error: 'must be inc, dec or set' }),
      value: z.union([z.string().max(256, 'is longer than 256 characters'), z.number().finite()], { error: 'must be a short string or a number' }).optional(),
      opID: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ - . :').optional(),
    })
    .refine((body) => body.operation !== 'set' || body.value !== undefined, { message: 'is required for operation set', path: ['value'] }),
  async run({ input, rt, roomType, actor }) {
    const change = { field: input.fieldName, op: input.operation, value: input.value, opId: input.opID };
    return { custom: await rt.rooms.setCustomField(actor, roomType, input.roomID, change) };
  },
});

export const main_handler = scfHandler(endpoint);
