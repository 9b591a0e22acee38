/** utils/check_config: per-setting verdicts, a Redis ping and an IM admin signature check. Never echoes a secret. */
import { z } from 'zod';
import { utilsEndpoint, scfHandler } from '../shared/http/endpoint';
import { checkConfiguration } from '../shared/diagnostics';

export const endpoint = utilsEndpoint({
  action: 'check_config',
  input: z.object({}),
  async run({ rt }) {
    return { ...(await checkConfiguration(rt)) };
  },
});

export const main_handler = scfHandler(endpoint);
