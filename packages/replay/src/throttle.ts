import { setTimeout as sleep } from 'node:timers/promises';

/** Holds a steady pace of `perSecond` records, so a replay does not crowd a busy production database. */
export class Throttle {
  readonly #perSecond: number;
  readonly #now: () => number;
  #started: number | null = null;
  #taken = 0;

  constructor(perSecond: number, now: () => number = () => performance.now()) {
    this.#perSecond = perSecond;
    this.#now = now;
  }

  /** How long to wait before `count` more records keep the pace, in ms. */
  delayFor(count: number): number {
    this.#started ??= this.#now();
    this.#taken += count;
    const due = this.#started + (this.#taken * 1000) / this.#perSecond;
    return Math.max(0, due - this.#now());
  }

  async take(count: number): Promise<void> {
    const delay = this.delayFor(count);
    // Short waits are batched up: a timer per record would cost more than the records.
    if (delay >= 20) await sleep(delay);
  }
}
