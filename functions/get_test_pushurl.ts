/** utils/get_test_pushurl: push and play URLs of a random test stream. */
import { z } from 'zod';
import { utilsEndpoint, scfHandler } from '../shared/http/endpoint';
import { liveSigning } from '../shared/rooms/service';
import { testUrls } from '../shared/sign/live-urls';

export const endpoint = utilsEndpoint({
  action: 'get_test_pushurl',
  input: z.object({}),
  async run({ rt }) {
    return { ...testUrls(liveSigning(rt)) };
  },
});

export const main_handler = scfHandler(endpoint);
