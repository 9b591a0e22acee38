import { defineConfig } from 'vitest/config';

/**
 * Two projects: every test on the real Redis, and the integration suites whose
 * subject is room behaviour again on the embedded store of `npm start`
 * (scripts/emulated-redis.ts), so one behaviour is checked on both stores.
 * Not on the embedded store: room-costs (Redis round trips; the embedded store
 * has none), faults (stopping Redis), deploy (bundles on a real Redis), fuzz
 * (hostile input never reaches a store differently; it also reads DUMP), and
 * gateway and differential, which run both stores themselves.
 */
const EMBEDDED = ['rooms', 'room-rules', 'edges', 'identity', 'concurrency', 'foundation', 'security', 'stream-callbacks', 'webrtc-room', 'webrtc-clients', 'events', 'webhooks', 'admin', 'admin-events-latest', 'security-round3', 'metrics', 'recording', 'heartbeat-deadlines']
  .map((name) => `tests/integration/${name}.test.ts`)
  // The PC web client's session in Chromium (skipped without a copy of the client: README "Testing").
  .concat('tests/browser/webrtc-web-client.test.ts');

/**
 * The room suites again with ROOM_PARTITIONS=4 on the one Redis: the
 * partitioned layout (sessions in every partition, merged room lists and
 * event reads, per-partition webhooks and bans, ROOMS_PER_USER across
 * partitions, the sweeper walking partitions) on every `npm test`; the full
 * suite runs partitioned (48) on the real cluster in `npm run test:cluster`.
 */
const PARTITIONED = ['rooms', 'room-rules', 'security', 'events', 'webhooks', 'admin', 'admin-events-latest', 'stream-callbacks', 'concurrency', 'webrtc-clients', 'security-round3', 'metrics', 'recording', 'heartbeat-deadlines'].map((name) => `tests/integration/${name}.test.ts`);

export default defineConfig({
  test: {
    // Integration tests share one Redis; each file uses its own key prefix.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Vitest's default on 2 cores is one file at a time; the integration files
    // mostly wait (Redis, loopback HTTP, expiry sleeps), so three overlap well
    // and keep the doubled suite (both stores) near its old wall time.
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    projects: [
      { extends: true, test: { name: 'redis', include: ['tests/**/*.test.ts'] } },
      { extends: true, test: { name: 'embedded', include: EMBEDDED, env: { TEST_STORE: 'embedded' } } },
      { extends: true, test: { name: 'partitioned', include: PARTITIONED, env: { ROOM_PARTITIONS: '4' } } },
    ],
  },
});
