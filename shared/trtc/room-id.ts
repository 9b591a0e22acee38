/**
 * TRTC has two kinds of room id (TENCENT.md §5): numbers 1..4294967294 and
 * strings. The service keeps one id string per room; it is numeric for TRTC
 * exactly when it is the canonical decimal form of such a number (no sign,
 * no leading zero), which is what webrtcroom.js sends (a typed room number).
 * Every other id ("007", "0", "room_1") is a string room id, so two service
 * rooms never map to one TRTC room ("007" and "7" are different rooms).
 */
const CANONICAL = /^[1-9][0-9]{0,9}$/;
export const TRTC_MAX_NUMERIC_ROOM = 4294967294;

/** The numeric TRTC room id of `roomId`, or undefined when TRTC must treat it as a string room id. */
export function trtcRoomId(roomId: string): number | undefined {
  if (!CANONICAL.test(roomId)) return undefined;
  const value = Number(roomId);
  return value <= TRTC_MAX_NUMERIC_ROOM ? value : undefined;
}
