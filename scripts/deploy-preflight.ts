/**
 * The deploy's preflight: refuses, before any cloud call, a deploy that cannot
 * work once it is up. Each refusal names the setting to change. Offline: it
 * reads only the plan and the deploy environment.
 *
 *  - the service's own configuration validation (shared/config.ts) on each
 *    function's variables, and REDIS_URL, which a function cannot run without;
 *  - REDIS_URL at a private address (10/8, 172.16/12, 192.168/16, 100.64/10)
 *    without VPC_ID/SUBNET_ID: outside the VPC the functions cannot reach it;
 *  - a function whose variables exceed SCF's 4 KB (doc 583/11637);
 *  - a description with characters SCF's API refuses (letters, digits,
 *    spaces, commas, periods, newlines and Chinese only, at most 1000);
 *  - neither an execution role nor CLOUD_API_SECRET_ID/KEY: the live and TRTC
 *    Cloud API features (merge_stream, CHECK_STREAM_BEFORE_EVICT, recording, webrtc_room
 *    dismiss and kick) would fail on every call;
 *  - AUTH_MODE=demo (also its default), where anyone signs as anyone, unless
 *    the operator confirms it with DEPLOY_ALLOW_DEMO_AUTH=yes.
 */
import { isIPv4 } from 'node:net';
import { ConfigError, loadConfig } from '../shared/config';
import type { DeployPlan, PlannedFunction } from './deploy-plan';

/** SCF's limit on one function's variables, names and values together (doc 583/11637). */
export const SCF_ENVIRONMENT_BYTES = 4096;

/** SCF's rule for a function description (CreateFunction's Description, the SDK model). */
const DESCRIPTION = /^[A-Za-z0-9 ,.\n\u4e00-\u9fff]*$/;
const DESCRIPTION_MAX = 1000;

/** The private ranges a function reaches only from inside the VPC (RFC 1918 and the carrier-grade NAT range TencentDB uses). */
const PRIVATE_RANGES: [string, number][] = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
];

const ipv4Number = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);

export function isPrivateIPv4(ip: string): boolean {
  if (!isIPv4(ip)) return false;
  const n = ipv4Number(ip);
  return PRIVATE_RANGES.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(ipv4Number(base) / 2 ** (32 - bits)));
}

/** The host of a redis:// or rediss:// URL, or undefined when it is not one. */
function redisHost(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/** The bytes SCF counts for one function's variables: every name and value in UTF-8. */
export function environmentBytes(environment: Record<string, string>): number {
  return Object.entries(environment).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value), 0);
}

function functionProblems(fn: PlannedFunction, problems: Set<string>): void {
  try {
    loadConfig(fn.environment);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) problems.add(problem);
  }
  const redisUrl = fn.environment.REDIS_URL;
  if (!redisUrl) problems.add('REDIS_URL is required on SCF (the TencentDB for Redis address, e.g. redis://:password@10.0.0.5:6379)');
  const host = redisUrl ? redisHost(redisUrl) : undefined;
  if (host && isPrivateIPv4(host) && !fn.vpc) {
    problems.add(`REDIS_URL is at the private address ${host}, reachable only inside its VPC: set VPC_ID and SUBNET_ID (the Redis instance's VPC and a subnet in it)`);
  }
  const bytes = environmentBytes(fn.environment);
  if (bytes > SCF_ENVIRONMENT_BYTES) {
    const largest = Object.entries(fn.environment).sort(([, a], [, b]) => b.length - a.length).slice(0, 3).map(([name, value]) => `${name} ${Buffer.byteLength(value)} B`);
    problems.add(`function ${fn.key}: its variables take ${bytes} bytes, over SCF's ${SCF_ENVIRONMENT_BYTES} (largest: ${largest.join(', ')}); unset the ones left at their default`);
  }
  if (fn.description !== undefined) {
    if (!DESCRIPTION.test(fn.description)) {
      const bad = [...new Set([...fn.description].filter((c) => !DESCRIPTION.test(c)))].map((c) => JSON.stringify(c)).join(' ');
      problems.add(`function ${fn.key}: description has characters SCF refuses (${bad}); it takes letters, digits, spaces, commas, periods, newlines and Chinese`);
    }
    if (fn.description.length > DESCRIPTION_MAX) problems.add(`function ${fn.key}: description is ${fn.description.length} characters, over SCF's ${DESCRIPTION_MAX}`);
  }
  if (!fn.role && !(fn.environment.CLOUD_API_SECRET_ID && fn.environment.CLOUD_API_SECRET_KEY)) {
    problems.add(
      'neither EXECUTION_ROLE nor CLOUD_API_SECRET_ID/CLOUD_API_SECRET_KEY is set: the live and TRTC Cloud API calls (merge_stream, CHECK_STREAM_BEFORE_EVICT, webrtc_room dismiss and kick, cloud recording) would fail; set EXECUTION_ROLE (docs/deploy.md "Credentials")',
    );
  }
}

/** Every reason the planned deploy cannot work, each naming the setting; empty when it can go ahead. */
export function preflight(plan: DeployPlan, env: NodeJS.ProcessEnv): string[] {
  const problems = new Set<string>();
  for (const fn of plan.functions) functionProblems(fn, problems);
  const demo = plan.functions.some((fn) => (fn.environment.AUTH_MODE ?? 'demo') === 'demo');
  if (demo && env.DEPLOY_ALLOW_DEMO_AUTH?.trim() !== 'yes') {
    problems.add('AUTH_MODE is demo (its default): anyone can sign in as anyone; set AUTH_MODE=jwt (or off), or confirm a demo deploy with DEPLOY_ALLOW_DEMO_AUTH=yes');
  }
  return [...problems];
}
