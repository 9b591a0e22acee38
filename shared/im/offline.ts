/** The IM stand-in for deployments without IM credentials (`npm start`): every call only leaves a log line. */
import type { ImClient } from './client';

type Log = (event: Record<string, unknown>) => void;

export function createOfflineImClient(log: Log): ImClient {
  const skipped = (command: string, groupId?: string) => log({ event: 'im_call_skipped', command, groupId, reason: 'IM offline' });
  return {
    async createGroup(groupId) {
      skipped('create_group', groupId);
    },
    async destroyGroup(groupId) {
      skipped('destroy_group', groupId);
    },
    async notifyPusherChange(groupId) {
      skipped('notify_pusher_change', groupId);
    },
    async adminSigCheck() {
      skipped('account_check');
      return { ok: false, detail: 'IM is offline (no credentials configured)' };
    },
  };
}
