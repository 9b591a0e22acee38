/**
 * live_stream: the live platform's push / disconnect callback
 * (`POST /weapp/callbacks/live_stream`). A stop removes the seat pushing that
 * stream at once; a start keeps it from being reaped as silent. Anything that
 * is not ours answers 200 `{code: 0}` too, so the platform does not retry it.
 */
import { z } from 'zod';
import { Code } from '../shared/errors';
import { callbackEndpoint, scfHandler } from '../shared/http/endpoint';
import { readStreamEvent, verifyCallbackSignature } from '../shared/live/callback';
import { log } from '../shared/log';
import { applyStreamEvent } from '../shared/rooms/service';

export const endpoint = callbackEndpoint({
  action: 'live_stream',
  summary: "The live platform's push (event_type 1) / disconnect (event_type 0) callback, signed sign = md5(LIVE_CALLBACK_KEY + t): a stop removes the seat pushing that stream at once, a start keeps it from being reaped as silent. Anything not ours answers code 0 too; a bad or expired signature, or a t further ahead than LIVE_CALLBACK_MAX_AHEAD_SECONDS, HTTP 403.",
  output: z.object({}),
  codes: [Code.AUTH_FAILED],
  // Judged in run: a bad signature must answer 403 whatever else the body holds.
  input: z.record(z.string(), z.unknown()),
  async run({ input, rt }) {
    verifyCallbackSignature(rt.config.live.callbackKey, input, rt.config.live.callbackMaxAheadSeconds);
    const event = readStreamEvent(input, rt.config.live.bizid);
    if ('ignored' in event) {
      log({ event: 'live_callback_ignored', reason: event.ignored });
      return;
    }
    await applyStreamEvent(rt, event, { errcode: input.errcode, errmsg: input.errmsg });
  },
});

export const main_handler = scfHandler(endpoint);
