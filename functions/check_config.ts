/** utils/check_config: per-setting verdicts, a Redis ping and an IM admin signature check. Never echoes a secret. */
import { z } from 'zod';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { checkConfiguration } from '../shared/diagnostics';

export const endpoint = defineEndpoint({
  action: 'check_config',
  scope: 'utils',
  method: 'GET',
  auth: 'none',
  input: z.object({}),
  async run({ rt }) {
    return { ...(await checkConfiguration(rt)) };
  },
});

export const main_handler = scfHandler(endpoint);
