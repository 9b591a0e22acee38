/** set_custom_field (live rooms): inc/dec an integer counter, or set a value. */
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
    })
    .refine((body) => body.operation !== 'set' || body.value !== undefined, { message: 'is required for operation set', path: ['value'] }),
  async run({ input, rt, roomType, actor }) {
    return { custom: await rt.rooms.setCustomField(actor, roomType, input.roomID, input.fieldName, input.operation, input.value) };
  },
});

export const main_handler = scfHandler(endpoint);
