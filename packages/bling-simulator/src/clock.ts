/** Time source for every TTL, limit window and webhook schedule, so tests can move time by hand. */
export interface SimClock {
  now(): number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function createManualClock(startMs = Date.UTC(2026, 0, 15, 13, 0, 0)): SimClock {
  let t = startMs;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

/** Wall-clock time; advance/set are unsupported because real time cannot be moved. */
export const systemClock: SimClock = {
  now: () => Date.now(),
  advance: () => {
    throw new Error("systemClock cannot be advanced; use createManualClock()");
  },
  set: () => {
    throw new Error("systemClock cannot be set; use createManualClock()");
  },
};
