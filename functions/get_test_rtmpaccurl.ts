/** utils/get_test_rtmpaccurl: the signed low-latency play URL of the test clock stream. */
import { z } from 'zod';
import { utilsEndpoint, scfHandler } from '../shared/http/endpoint';
import { liveSigning } from '../shared/rooms/service';
import { testRtmpAccUrl } from '../shared/sign/live-urls';

export const endpoint = utilsEndpoint({
  action: 'get_test_rtmpaccurl',
  summary: 'Signed accelerated play URL of the test stream {bizid}_testclock_rtmpacc.',
  output: z.object({ url_rtmpacc: z.string() }),
  codes: [],
  input: z.object({}),
  async run({ rt }) {
    return { url_rtmpacc: testRtmpAccUrl(liveSigning(rt)) };
  },
});

export const main_handler = scfHandler(endpoint);
