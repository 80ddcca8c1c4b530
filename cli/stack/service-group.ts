/**
 * One service made of several: the target when it runs as several instances.
 * A fault on "the target" without an instance acts on every one of them at
 * once, and the target runs only when all of them do.
 */
import type { ServiceControl } from './types.ts';

/** A control over every member `members()` lists at the moment of each call (the count may change between runs). */
export function allOf(members: () => Promise<ServiceControl[]>): ServiceControl {
  let last: ServiceControl[] = [];
  const each = (op: (c: ServiceControl) => Promise<void>) => async (): Promise<void> => {
    last = await members();
    await Promise.all(last.map(op));
  };
  return {
    stop: each((c) => c.stop()),
    start: each((c) => c.start()),
    restart: each((c) => c.restart()),
    pause: each((c) => c.pause()),
    resume: each((c) => c.resume()),
    kill: each((c) => c.kill()),
    ensureRunning: each((c) => c.ensureRunning()),
    isRunning: async () => (await Promise.all((await members()).map((c) => c.isRunning()))).every(Boolean),
    get lastOperation(): string | undefined {
      const done = last.map((c) => c.lastOperation).filter((text): text is string => text !== undefined);
      return done.length > 0 ? done.join('; ') : undefined;
    },
  };
}
