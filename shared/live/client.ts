/**
 * The live (CSS) Cloud API 3.0 calls the service makes (service `live`,
 * version 2018-08-01): a stream's state for CHECK_STREAM_BEFORE_EVICT, and
 * stream mixing for `merge_stream`. They replace the 2017 `common_access` API
 * (`Live_Channel_GetStatus`, `Mix_StreamV2`), announced offline from 2023. The stand-in without credentials is live/offline.ts.
 */
import { CloudApiError, type CloudApi } from '../cloud/client';

/** `DescribeLiveStreamState`'s answer: pushing, not pushing, or banned. */
export type StreamState = 'active' | 'inactive' | 'forbid';

/** One input of a mix (CommonMixInputParam); layout numbers are pixels, or fractions of the background below 1. */
export interface MixInput {
  streamName: string;
  layout: { imageLayer: number; imageWidth?: number; imageHeight?: number; locationX?: number; locationY?: number; inputType?: number };
}

export interface LiveApiClient {
  /** The stream's state; throws when the API gives no usable answer. */
  streamState(streamName: string): Promise<StreamState>;
  /** CreateCommonMixStream: mixes `inputs` into `outputStream` (one of the inputs) under `sessionId`. */
  startMix(sessionId: string, outputStream: string, inputs: MixInput[]): Promise<{ requestId: string }>;
  /** CancelCommonMixStream. */
  cancelMix(sessionId: string): Promise<{ requestId: string }>;
}

export const LIVE_SERVICE = { service: 'live', version: '2018-08-01' } as const;
/** The push path of every stream this service signs (`rtmp://{domain}/live/{stream}`). */
const APP_NAME = 'live';
const STATES: readonly string[] = ['active', 'inactive', 'forbid'];

export function createLiveApiClient(cloud: CloudApi, settings: { pushDomain: string }): LiveApiClient {
  const live = cloud.service(LIVE_SERVICE.service, LIVE_SERVICE.version);
  const requestIdOf = (response: Record<string, unknown>) => ({ requestId: String(response.RequestId ?? '') });
  return {
    async streamState(streamName) {
      const response = await live.call('DescribeLiveStreamState', { AppName: APP_NAME, DomainName: settings.pushDomain, StreamName: streamName });
      const state = response.StreamState;
      if (typeof state !== 'string' || !STATES.includes(state)) throw new CloudApiError('live DescribeLiveStreamState', `unknown StreamState ${JSON.stringify(state)}`);
      return state as StreamState;
    },

    async startMix(sessionId, outputStream, inputs) {
      const response = await live.call('CreateCommonMixStream', {
        MixStreamSessionId: sessionId,
        InputStreamList: inputs.map((input) => ({
          InputStreamName: input.streamName,
          LayoutParams: {
            ImageLayer: input.layout.imageLayer,
            ...(input.layout.inputType !== undefined ? { InputType: input.layout.inputType } : {}),
            ...(input.layout.imageWidth !== undefined ? { ImageWidth: input.layout.imageWidth } : {}),
            ...(input.layout.imageHeight !== undefined ? { ImageHeight: input.layout.imageHeight } : {}),
            ...(input.layout.locationX !== undefined ? { LocationX: input.layout.locationX } : {}),
            ...(input.layout.locationY !== undefined ? { LocationY: input.layout.locationY } : {}),
          },
        })),
        // Type 0: the output is one of the inputs (the host's stream), as with mix_streamv2.
        OutputParams: { OutputStreamName: outputStream, OutputStreamType: 0 },
      });
      return requestIdOf(response);
    },

    async cancelMix(sessionId) {
      return requestIdOf(await live.call('CancelCommonMixStream', { MixStreamSessionId: sessionId }));
    },
  };
}
