/**
 * trtc: TRTC's room callbacks (`POST /weapp/callbacks/trtc`). Signed with
 * `Sign` = base64(HMAC-SHA256(TRTC_CALLBACK_KEY, raw body)): anything else is
 * HTTP 403 and changes nothing. 103 marks a member present, 104 removes it at
 * once, 102 ends the room; other events and rooms not ours answer code 0 too,
 * so TRTC does not retry them.
 */
import { z } from 'zod';
import { Code } from '../shared/errors';
import { callbackEndpoint, scfHandler } from '../shared/http/endpoint';
import { log } from '../shared/log';
import { readTrtcEvent, verifyTrtcSignature } from '../shared/trtc/callback';
import { applyTrtcEvent } from '../shared/rooms/webrtc';

export const endpoint = callbackEndpoint({
  action: 'trtc',
  summary: "TRTC's room callbacks (header Sign = base64(HMAC-SHA256(TRTC_CALLBACK_KEY, raw body))): 103 entered marks a webrtc_room member present, 104 left removes it at once, 102 dismissed ends the room; duplicates and late retries change nothing. A bad or missing Sign, or no TRTC_CALLBACK_KEY: HTTP 403.",
  output: z.object({}),
  codes: [Code.AUTH_FAILED],
  // Judged in run: the signature covers the raw body, whatever it holds.
  input: z.record(z.string(), z.unknown()),
  async run({ input, req, rt }) {
    verifyTrtcSignature(rt.config.trtc.callbackKey, req.body ?? '', req.headers.sign);
    const event = readTrtcEvent(input, rt.config.im.sdkAppId, req.headers.sdkappid);
    if ('ignored' in event) {
      log({ event: 'trtc_callback_ignored', reason: event.ignored });
      return;
    }
    await applyTrtcEvent(rt, event);
  },
});

export const main_handler = scfHandler(endpoint);
