/** utils/get_test_pushurl: push and play URLs of a random test stream. */
import { z } from 'zod';
import { utilsEndpoint, scfHandler } from '../shared/http/endpoint';
import { liveSigning } from '../shared/rooms/service';
import { testUrls } from '../shared/sign/live-urls';

export const endpoint = utilsEndpoint({
  action: 'get_test_pushurl',
  summary: 'Test URLs for one fresh stream of a random user: push, FLV, RTMP, HLS and accelerated play.',
  output: z.object({ url_push: z.string(), url_play_flv: z.string(), url_play_rtmp: z.string(), url_play_hls: z.string(), url_play_acc: z.string() }),
  codes: [],
  input: z.object({}),
  async run({ rt }) {
    return { ...testUrls(liveSigning(rt)) };
  },
});

export const main_handler = scfHandler(endpoint);
