/** logout: revokes the caller's session token. */
import { z } from 'zod';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';

export const endpoint = roomEndpoint({
  action: 'logout',
  input: z.object({ userID: z.string().optional() }),
  async run({ rt, actor }) {
    await rt.sessions.close(actor);
  },
});

export const main_handler = scfHandler(endpoint);
