import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { installShutdown } from './shutdown.ts';

const logger = createLogger({ level: 'silent' });

describe('installShutdown', () => {
  it('when SIGTERM arrives, then readiness flips first, stop runs once, and the process exits 0', async () => {
    const signals = new EventEmitter();
    const order: string[] = [];
    const exits: number[] = [];
    let stopped!: () => void;
    const done = new Promise<void>((resolve) => (stopped = resolve));
    installShutdown({
      logger,
      deadlineMs: 5_000,
      signals,
      onBegin: () => order.push('begin'),
      stop: async () => {
        order.push('stop');
        await new Promise((resolve) => setTimeout(resolve, 10));
      },
      exit: (code) => {
        exits.push(code);
        stopped();
      },
    });
    signals.emit('SIGTERM');
    await done;
    expect(order).toEqual(['begin', 'stop']);
    expect(exits).toEqual([0]);
  });

  it('when a second signal arrives during shutdown, then the exit is forced', () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    installShutdown({ logger, deadlineMs: 5_000, signals, stop: () => new Promise(() => undefined), exit: (code) => exits.push(code) });
    signals.emit('SIGINT');
    signals.emit('SIGTERM');
    expect(exits).toEqual([130]);
  });

  it('when stopping hangs past the deadline, then the exit is forced with 1', async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    installShutdown({ logger, deadlineMs: 20, signals, stop: () => new Promise(() => undefined), exit: (code) => exits.push(code) });
    signals.emit('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(exits).toEqual([1]);
  });

  it('runs the stop sequence once however often shutdown is requested', async () => {
    let stops = 0;
    const coordinator = installShutdown({
      logger,
      deadlineMs: 1_000,
      signals: new EventEmitter(),
      stop: async () => void (stops += 1),
      exit: () => undefined,
    });
    await Promise.all([coordinator.shutdown('a'), coordinator.shutdown('b')]);
    expect(stops).toBe(1);
    expect(coordinator.shuttingDown).toBe(true);
  });
});
