/**
 * Child process for the gateway benchmark: runs the local gateway
 * (scripts/gateway.ts startGateway) on a real Redis with the environment the
 * parent passes, and reports its URL over IPC. Its log lines go to stdout,
 * which the parent points at /dev/null (SCF would ship them to its log service).
 */
import { startGateway } from '../scripts/gateway';

async function main(): Promise<void> {
  const env = JSON.parse(process.env.BENCH_GATEWAY_ENV ?? '{}') as Record<string, string>;
  const gateway = await startGateway({ env, port: 0, sweepIntervalMs: 0, quiet: true });
  process.send?.({ url: gateway.url });
  process.on('message', (message: unknown) => {
    if (message === 'stop') void gateway.close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => void gateway.close().finally(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench gateway failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
