/**
 * Tencent Cloud's published prices and limits that the cost section
 * (bench/sections/costs.ts) and docs/costs.md compute with: the one place
 * they are written down, each with the page it was read from and the date
 * that page gives. A price that could not be found is `null`, printed as
 * "not found" and left as a named input, never guessed.
 *
 * Read on 2026-12-07 from stored copies of the pages (the Tencent Cloud
 * International site, USD, pay-as-you-go). Prices change: re-read the pages
 * before quoting the figures, and edit only this file.
 */

export interface Published {
  /** The number, or null when no published figure was found. */
  value: number | null;
  unit: string;
  /** Where the number is written (the page's address). */
  source: string;
  /** The page's own "last updated" date, as it gives it. */
  pageDate: string;
  /** What the page says, in short, and how this project reads it. */
  note: string;
}

export const PRICES = {
  scfGbSecondUsd: {
    value: 0.0000167,
    unit: 'USD per GB-second (configured memory x billed duration)',
    source: 'https://intl.cloud.tencent.com/document/product/583/17299',
    pageDate: '2021-07-13',
    note: 'SCF Billing Overview: "Resource usage fees: 0.0000167 USD/GBs"; "Web functions and event functions have the same prices". The newest stored copy of the Pricing page with the numbers; the Billing Mode page (583/12284, 2024-12-02) bills the same items the same way.',
  },
  scfInvocationUsd: {
    value: 0.002 / 10_000,
    unit: 'USD per invocation (0.002 USD per 10,000)',
    source: 'https://intl.cloud.tencent.com/document/product/583/17299',
    pageDate: '2021-07-13',
    note: 'SCF Billing Overview: "Invocation fees: 0.002 USD/10000 invocations"; web functions the same.',
  },
  scfIdleProvisionedGbSecondUsd: {
    value: 0.00000847,
    unit: 'USD per idle provisioned GB-second',
    source: 'https://intl.cloud.tencent.com/document/product/583/17299',
    pageDate: '2021-07-13',
    note: 'Only with provisioned concurrency (not used by this deploy).',
  },
  scfBillingGranularityMs: {
    value: 1,
    unit: 'ms',
    source: 'https://tencentcloud.com/document/product/583/12285',
    pageDate: 'not shown in the stored copy',
    note: 'Resource usage is "the memory configured for function by the actually triggered execution duration", replacing "the original billing mode of rounding up to the nearest 100-ms"; 583/12284 (2024-12-02): 256 MB run for 1,760 ms is billed 1,760 ms. We round each invocation up to a whole millisecond (the conservative reading).',
  },
  scfMemoryMb: {
    value: 128,
    unit: 'MB step (64 MB minimum, then 128 MB steps up to 3,072 MB)',
    source: 'https://tencentcloud.com/document/product/583/11637',
    pageDate: '2025-03-28',
    note: 'Quota Limits, function runtime environment: memory from 64 MB to 3,072 MB, in 128 MB steps from 128 MB.',
  },
  scfBasicPackageUsdPerMonth: {
    value: 1.86,
    unit: 'USD per month',
    source: 'https://www.tencentcloud.com/document/product/583/17299',
    pageDate: '2023-02-01',
    note: 'Since 2022-06-01 the free tier lasts 3 months from activation; afterwards a basic package (500,000 invocations, 100,000 GBs, 2 GB outbound traffic) is charged monthly (1.86 USD here; 583/44254 of 2022-07-21 says 1.8 USD, 0.06 USD a day). Ignored in the per-million figures; next to nothing against a month of 10,000 pushers.',
  },
  webFunctionInstanceBilling: {
    value: null,
    unit: 'rule for the billed duration of one instance serving overlapping requests',
    source: 'https://tencentcloud.com/document/product/583/47183',
    pageDate: '2025-10-22',
    note: 'HTTP-Triggered Function Request Concurrency Management describes per-instance multi-concurrency (custom and dynamic) but the stored copy states no billing rule for overlapping requests. The cost section assumes the rule other platforms document: one instance is billed for the wall time during which it serves at least one request.',
  },
  scfHttpResponseTrafficUsdPerGb: {
    value: null,
    unit: 'USD per GB of HTTP-triggered function responses',
    source: 'https://tencentcloud.com/document/product/583/44254',
    pageDate: '2022-07-21 / later copy undated',
    note: 'Charged for HTTP-triggered (web) functions on the default trigger; the unit price was not found. A heartbeat answer is under 100 bytes.',
  },
  functionUrlUsd: {
    value: null,
    unit: 'USD for the Function URL in front of the router (per call or per GB)',
    source: 'https://www.tencentcloud.com/jp/document/product/583/69491',
    pageDate: '2025-06-17',
    note: 'Function URL Overview: a dedicated HTTP(S) endpoint for event and web functions; the stored copies state no price of its own. The deploy serves every route through the router behind its Function URL (serverless.yml).',
  },
  apiGatewayUsdPerMillionCalls: {
    value: null,
    unit: 'USD per million API Gateway calls',
    source: 'https://tencentcloud.com/document/product/628/11771',
    pageDate: '2025-03-18',
    note: 'Shared instance billing: "the first one million calls in each calendar month in the first year are free", then tiered prices (CNY) that were not found. Only for a deploy behind API Gateway (this one uses a Function URL; serverless.yml: no new API Gateway triggers since 2024-07-01): that fee would come on top of every SCF figure here.',
  },
  redisShardQps: {
    value: 80_000,
    unit: 'commands per second per shard (Tencent states 80,000-100,000; the low end is used)',
    source: 'https://tencentcloud.com/document/product/239/17952',
    pageDate: '2024-11-05 (a copy of 2026-03-17 says the same)',
    note: 'Specifications and Performance: cluster architecture "QPS 80,000-100,000/shard"; shards 1 to 128 (256 in the 2026 copy).',
  },
  redisCoresPerNode: {
    value: 2,
    unit: 'CPU cores per node',
    source: 'https://www.tencentcloud.com/jp/document/product/239/17952',
    pageDate: '2026-03-17',
    note: '"each node is assigned with 2-core CPU". Redis runs commands and Lua scripts on one main thread, so the shard ceiling below is one core of command time; the second core serves the rest of the node.',
  },
  redisShardUsdPerMonth: {
    value: null,
    unit: 'USD per shard per month',
    source: 'https://tencentcloud.com/document/product/239/18665',
    pageDate: '2024-11-05',
    note: 'The Purchase FAQ points to a Pricing page whose per-shard prices were not found in the stored copies; Tencent quotes them through the InquiryPriceCreateInstance API (https://tencentcloud.com/document/api/239/41924: region, shard memory, shards, replicas, billing mode) with an account. The Redis bill is left as shards x this input.',
  },
} as const satisfies Record<string, Published>;

/** One month, as the monthly figures count it. */
export const SECONDS_PER_MONTH = 30 * 24 * 3600;

/** The clients' heartbeat interval (shared PROTOCOL.md: "clients send `pusher_heartbeat` every ~7 s"). */
export const HEARTBEAT_INTERVAL_S = 7;
