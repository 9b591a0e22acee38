/** The live API stand-in for deployments without cloud API credentials (`npm start`). */
import type { LiveApiClient } from './client';

type Log = (event: Record<string, unknown>) => void;

/** For deployments without cloud API credentials (`npm start`): every stream is unknown, mixing is simulated. */
export function createOfflineLiveApiClient(log: Log): LiveApiClient {
  const skipped = (action: string, detail: Record<string, unknown> = {}) => log({ event: 'cloud_call_skipped', service: 'live', action, ...detail, reason: 'no cloud API credentials' });
  return {
    async streamState(streamName) {
      skipped('DescribeLiveStreamState', { streamName });
      return 'inactive';
    },
    async startMix(sessionId) {
      skipped('CreateCommonMixStream', { sessionId });
      return { requestId: 'simulated' };
    },
    async cancelMix(sessionId) {
      skipped('CancelCommonMixStream', { sessionId });
      return { requestId: 'simulated' };
    },
  };
}
