/**
 * Counts Redis round trips made through one ioredis client by wrapping its
 * sendCommand (every command goes through it, auto-pipelined or not).
 *
 * With one request in flight at a time, a round trip is a group of commands
 * written before any of their replies came back: a command sent after a reply
 * arrived (and since the last send) starts a new round trip. Commands a
 * request issues together (Promise.all, auto-pipelining) count once.
 */
import type { RedisClient } from '../../shared/redis';

interface CommandLike {
  name: string;
  args?: unknown[];
  promise?: Promise<unknown>;
}

export interface TripCounter {
  /** Starts a new count; answers a function that stops it and returns the result. */
  begin(): () => { roundTrips: number; commands: string[] };
  restore(): void;
}

export function countRoundTrips(client: RedisClient): TripCounter {
  const target = client as unknown as { sendCommand: (command: CommandLike, ...rest: unknown[]) => unknown };
  const original = target.sendCommand;
  let active = false;
  let roundTrips = 0;
  let lastWasReply = true;
  let commands: string[] = [];

  target.sendCommand = function (this: unknown, command: CommandLike, ...rest: unknown[]) {
    if (active) {
      if (lastWasReply) roundTrips++;
      lastWasReply = false;
      commands.push(command.name);
      const settled = () => {
        lastWasReply = true;
      };
      command.promise?.then(settled, settled);
    }
    return original.call(this, command, ...rest);
  };

  return {
    begin() {
      active = true;
      roundTrips = 0;
      lastWasReply = true;
      commands = [];
      return () => {
        active = false;
        return { roundTrips, commands };
      };
    },
    restore() {
      target.sendCommand = original;
    },
  };
}
