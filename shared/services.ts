/**
 * What one container shares across warm invocations (built by runtime.ts).
 * Types only, in a module of their own: the parts runtime.ts wires together
 * (event log, webhooks) name the Runtime they are handed without importing
 * the module that builds it, so no import circle runs through runtime.ts.
 */
import type { CloudApi } from './cloud/client';
import type { Config } from './config';
import type { ImClient } from './im/client';
import type { LiveApiClient } from './live/client';
import type { RedisClient } from './redis';
import type { SessionStore } from './auth/sessions';
import type { RoomStore } from './rooms/store';
import type { AdminStore } from './rooms/admin-store';
import type { IpRateLimiter } from './auth/rate-limit';
import type { TrtcClient } from './trtc/client';
import type { RecordingStore } from './rooms/recording-store';
import type { RecordingClient } from './recording/client';

export interface Runtime {
  config: Config;
  redis: RedisClient;
  rooms: RoomStore;
  /** The admin API's calls on room state (no caller, no session). */
  admin: AdminStore;
  sessions: SessionStore;
  ipLimiter: IpRateLimiter;
  im: ImClient;
  /** Cloud API 3.0: one set of credentials and one transport for every service. */
  cloud: CloudApi;
  live: LiveApiClient;
  /** TRTC room management (webrtc_room): the same Cloud API credentials and transport. */
  trtc: TrtcClient;
  /** A room's recording state in Redis (shared/rooms/recording-store.ts). */
  recordings: RecordingStore;
  /** The recording calls (TRTC cloud recording, live record tasks); unused without RECORD_STORAGE. */
  recorder: RecordingClient;
}
