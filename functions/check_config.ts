/**
 * utils/check_config: anyone learns whether the service is healthy (`ok`); an
 * operator presenting CHECK_CONFIG_OPERATOR_KEY (header `x-operator-key`) gets
 * the per-setting verdicts, the Redis and IM probes and the warnings. Never echoes a secret.
 */
import { z } from 'zod';
import { Code } from '../shared/errors';
import { utilsEndpoint, scfHandler } from '../shared/http/endpoint';
import { checkConfiguration, isOperator } from '../shared/diagnostics';

const verdict = z.object({ ok: z.boolean(), detail: z.string() });

export const endpoint = utilsEndpoint({
  action: 'check_config',
  summary: 'Whether the service is healthy (ok). With the header x-operator-key = CHECK_CONFIG_OPERATOR_KEY also every setting, a Redis PING, an IM signature check and warnings; never a secret.',
  output: z.object({
    ok: z.boolean(),
    settings: z.record(z.string(), verdict).optional().describe('operator only'),
    redis: verdict.optional().describe('operator only'),
    im: verdict.optional().describe('operator only'),
    warnings: z.array(z.string()).optional().describe('operator only'),
  }),
  codes: [Code.AUTH_FAILED],
  input: z.object({}),
  async run({ req, rt }) {
    const operator = isOperator(rt, req.headers['x-operator-key']);
    const report = await checkConfiguration(rt);
    return operator ? { ...report } : { ok: report.ok };
  },
});

export const main_handler = scfHandler(endpoint);
