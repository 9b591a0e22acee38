/**
 * trtc_recording: TRTC's cloud recording callbacks
 * (`POST /weapp/callbacks/trtc_recording`, docs/recording.md). Signed like the
 * room callbacks but with a key of its own: `Sign` = base64(HMAC-SHA256(
 * TRTC_RECORDING_CALLBACK_KEY, raw body)); anything else is HTTP 403 and
 * changes nothing. A stored file becomes the room's recording_ready event, a
 * recorder that failed recording_failed, one that left recording_stopped,
 * each once; other events and rooms not ours answer code 0 too.
 */
import { z } from 'zod';
import { WEBRTC_ROOM } from '../shared/config';
import { Code } from '../shared/errors';
import { callbackEndpoint, scfHandler } from '../shared/http/endpoint';
import { log } from '../shared/log';
import { applyRecordingNotices, readTrtcRecording } from '../shared/recording/callbacks';
import { verifyTrtcSignature } from '../shared/trtc/callback';

export const endpoint = callbackEndpoint({
  action: 'trtc_recording',
  summary: "TRTC's cloud recording callbacks (EventGroupId 3; header Sign = base64(HMAC-SHA256(TRTC_RECORDING_CALLBACK_KEY, raw body))): 311 (VOD) and 310 (COS) files become the webrtc_room's recording_ready events, 301 Status 1 and failed uploads recording_failed, 302 recording_stopped; each once, whatever the retries. A bad or missing Sign, or no TRTC_RECORDING_CALLBACK_KEY: HTTP 403.",
  output: z.object({}),
  codes: [Code.AUTH_FAILED],
  // Judged in run: the signature covers the raw body, whatever it holds.
  input: z.record(z.string(), z.unknown()),
  async run({ input, req, rt }) {
    verifyTrtcSignature(rt.config.trtc.recordingCallbackKey, req.body ?? '', req.headers.sign, 'TRTC_RECORDING_CALLBACK_KEY');
    const read = readTrtcRecording(input, rt.config.im.sdkAppId, req.headers.sdkappid, rt.config.recording?.storage);
    if ('ignored' in read) {
      log({ event: 'trtc_recording_callback_ignored', reason: read.ignored });
      return;
    }
    await applyRecordingNotices(rt, WEBRTC_ROOM, read.roomId, read.notices);
  },
});

export const main_handler = scfHandler(endpoint);
