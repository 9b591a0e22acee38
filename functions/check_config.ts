/** utils/check_config: per-setting verdicts, a Redis ping and an IM admin signature check. Never echoes a secret. */
import { z } from 'zod';
import { utilsEndpoint, scfHandler } from '../shared/http/endpoint';

const verdict = z.object({ ok: z.boolean(), detail: z.string() });
import { checkConfiguration } from '../shared/diagnostics';

export const endpoint = utilsEndpoint({
  action: 'check_config',
  summary: 'Judges the configuration without revealing it: every setting, a Redis PING and an IM signature check, and warnings.',
  output: z.object({
    ok: z.boolean(),
    settings: z.record(z.string(), verdict),
    redis: verdict,
    im: verdict,
    warnings: z.array(z.string()),
  }),
  codes: [],
  input: z.object({}),
  async run({ rt }) {
    return { ...(await checkConfiguration(rt)) };
  },
});

export const main_handler = scfHandler(endpoint);
