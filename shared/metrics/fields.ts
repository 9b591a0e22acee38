/**
 * The metrics hashes' field names: one owner of their spelling, for the
 * recorder (recorder.ts), the room scripts (helpers/metrics.lua writes
 * "ev|<kind>|<room type>|<reason or ->") and the readers (exposition.ts,
 * series.ts). A field is its kind and labels joined by "|"; no label holds
 * a "|" (endpoint and API names, room types, codes, reasons, receiver ids).
 */

/**
 * Upper bounds (seconds) of the duration histograms: requests, webhook lag,
 * sweeper runs. Fields carry the bucket's index; index DURATION_BUCKETS.length is +Inf.
 */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

export const field = (...parts: string[]) => parts.join('|');

export const parseField = (name: string) => name.split('|');
