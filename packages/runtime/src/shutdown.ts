import type { Logger } from './logger.ts';

export interface ShutdownOptions {
  logger: Logger;
  /** Must be shorter than the orchestrator's grace period (Kubernetes: 30 s by default). */
  deadlineMs: number;
  /** Stops the service: intake first, then drain, then close connections. */
  stop: () => Promise<void>;
  /** Called the moment shutdown starts, before `stop`, so readiness turns 503 at once. */
  onBegin?: () => void;
  exit?: (code: number) => void;
  signals?: NodeJS.EventEmitter;
}

export interface ShutdownCoordinator {
  /** Resolves when the service has stopped; callable from code (tests, fatal errors) as well as signals. */
  shutdown(reason: string): Promise<void>;
  readonly shuttingDown: boolean;
  /** Removes the signal handlers (tests). */
  dispose(): void;
}

/**
 * One per process: SIGTERM and SIGINT run the stop sequence once, a second signal forces the exit,
 * and a deadline forces it if draining hangs.
 */
export function installShutdown(options: ShutdownOptions): ShutdownCoordinator {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? process;
  let running: Promise<void> | null = null;
  const shutdown = (reason: string): Promise<void> => {
    if (running) return running;
    options.logger.info('shutdown started', { reason, deadlineMs: options.deadlineMs });
    options.onBegin?.();
    const deadline = setTimeout(() => {
      options.logger.error('shutdown deadline passed, forcing exit', { deadlineMs: options.deadlineMs });
      exit(1);
    }, options.deadlineMs);
    deadline.unref();
    running = options.stop().then(
      () => {
        clearTimeout(deadline);
        options.logger.info('shutdown complete');
      },
      (error: unknown) => {
        clearTimeout(deadline);
        options.logger.error('shutdown failed', { error });
        exit(1);
      },
    );
    return running;
  };
  const onSignal = (signal: string) => {
    if (running) {
      options.logger.warn('second signal, forcing exit', { signal });
      exit(130);
      return;
    }
    void shutdown(signal).then(() => exit(0));
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  signals.on('SIGTERM', onTerm);
  signals.on('SIGINT', onInt);
  return {
    shutdown,
    get shuttingDown() {
      return running !== null;
    },
    dispose: () => {
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
    },
  };
}
