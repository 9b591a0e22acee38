/**
 * The room rules, as Lua: one file per script in lua/ (`<name>-<numberOfKeys>.lua`,
 * each with a header naming its KEYS, ARGV and reply; helpers in lua/helpers/),
 * turned into lua.generated.ts by `npm run lua`. Every state change of a room
 * is one script, so concurrent requests cannot oversubscribe a seat or corrupt
 * a counter; the session and quotas are checked inside the same script, which
 * is what makes `pusher_heartbeat` one round trip.
 *
 * Replies start with a status word; store.ts maps it to a protocol code.
 */
export { SCRIPTS, type ScriptName } from './lua.generated';
