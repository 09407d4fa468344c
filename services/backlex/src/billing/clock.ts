/** Where billing reads the time: renewals, periods, webhook timestamps. Tests move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * The clock billing holds: the system's unless a test sets another (`use`). Periods, renewals,
 * retries and the sandbox's webhook timestamps all read it, so a test can cross a month at once.
 */
export function createSwitchableClock(): Clock & { use(clock: Clock): void } {
  let current: Clock = systemClock;
  return {
    now: () => current.now(),
    use(clock) {
      current = clock;
    },
  };
}
