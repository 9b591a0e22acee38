/**
 * utils/check_config: anyone learns whether the service is healthy (`ok`); an
 * operator presenting CHECK_CONFIG_OPERATOR_KEY (header `x-operator-key`) gets
 * the per-setting verdicts, the Redis and IM probes and the warnings. Never echoes a secret.
 */
import { z } from 'zod';
import { utilsEndpoint, scfHandler } from '../shared/http/endpoint';
import { checkConfiguration, isOperator } from '../shared/diagnostics';

export const endpoint = utilsEndpoint({
  action: 'check_config',
  input: z.object({}),
  async run({ req, rt }) {
    const operator = isOperator(rt, req.headers['x-operator-key']);
    const report = await checkConfiguration(rt);
    return operator ? { ...report } : { ok: report.ok };
  },
});

export const main_handler = scfHandler(endpoint);
