/**
 * The fields of the recording events (docs/recording.md, "Events"), as the
 * JSON object members the event scripts splice after an event's own fields
 * (helpers/events.lua appendEvent). Undefined values are left out.
 */

/** Fields every event has: a recording event may not use them. */
const BASE_FIELDS = new Set(['id', 'type', 'roomType', 'roomID', 'seq', 'time', 'userID', 'reason']);

export function eventFields(fields: Record<string, unknown>): string {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (BASE_FIELDS.has(name)) throw new Error(`event field ${name} is set by the log`);
    if (value !== undefined && value !== '') kept[name] = value;
  }
  return Object.keys(kept).length > 0 ? JSON.stringify(kept).slice(1, -1) : '';
}
