/** logout: revokes the caller's session token. */
import { z } from 'zod';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { callerOnly, noFields } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'logout',
  summary: "Revokes the caller's session token.",
  output: noFields,
  codes: [],
  input: callerOnly,
  async run({ rt, actor }) {
    await rt.sessions.close(actor);
  },
});

export const main_handler = scfHandler(endpoint);
