// The tests' clock: it moves a millisecond per reading (so that timestamps stay distinct) and jumps
// only when a test moves `time` itself, whatever the machine's speed.
export interface TickingClock {
  time: number;
  now(): number;
}

export function tickingClock(start = Date.parse('2026-11-22T12:00:00Z')): TickingClock {
  return {
    time: start,
    now() {
      this.time += 1;
      return this.time;
    },
  };
}
