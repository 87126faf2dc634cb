import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import schedule from 'node-schedule';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { backoffMs, type Job, type JobStore } from './jobs';
import type { JobOutcome } from './outcome';

export type JobHandler = (job: Job, log: Logger) => Promise<JobOutcome>;

export interface RunnerOptions {
  jobs: JobStore;
  handlers: Record<string, JobHandler>;
  clock: Clock;
  log: Logger;
  concurrency: number;
  pollSeconds: number;
  /** A claim older than this is presumed dead (its runner crashed) and is freed. */
  claimTimeoutMs: number;
  /** Work done on every tick before claiming jobs (e.g. applying received events). */
  beforeTick?: () => Promise<unknown>;
  workerId?: string;
}

/**
 * Runs due jobs. The database is the schedule: node-schedule is only the clock that says "look
 * now", so a restart loses nothing. Jobs run concurrently up to `concurrency` per process; any
 * number of processes may share the table.
 */
export class Runner {
  readonly workerId: string;
  private readonly inflight = new Set<Promise<void>>();
  private ticker: schedule.Job | null = null;
  private lastSweep = 0;
  private pumping = false;
  private mayHaveMore = false;
  /** The tick's own work (applying events) is due: set by the timer and by intake, not by jobs ending. */
  private tickWork = false;
  /** Until start(), nothing runs by itself: tests and the CLI drive the runner with runDue(). */
  private stopped = true;

  private readonly refillAt: number;

  constructor(private readonly o: RunnerOptions) {
    this.refillAt = Math.max(1, Math.floor(o.concurrency / 4));
    this.workerId = o.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  start(): void {
    this.stopped = false;
    const every = Math.max(1, Math.round(this.o.pollSeconds));
    this.ticker = schedule.scheduleJob(`*/${every} * * * * *`, () => this.tick());
    this.tick();
  }

  private tick(): void {
    // Sweep often enough that an orphaned claim waits at most about 1.5 × the timeout.
    const sweepEvery = Math.min(60_000, this.o.claimTimeoutMs / 2);
    if (Date.now() - this.lastSweep >= sweepEvery) {
      this.lastSweep = Date.now();
      void this.sweep().then((freed) => freed > 0 && this.wake());
    }
    this.wake();
  }

  /** Look for due work now (called by the ticker, and by intake after storing events). */
  wake(): void {
    this.tickWork = true;
    this.claimMore();
  }

  /** Claim more due jobs; a job ending calls this, without redoing the tick's other work. */
  private claimMore(): void {
    if (this.stopped || this.pumping) {
      this.mayHaveMore = true;
      return;
    }
    void this.pump();
  }

  async sweep(): Promise<number> {
    try {
      const freed = await this.o.jobs.releaseStale(this.o.claimTimeoutMs);
      if (freed > 0) this.o.log.warn({ freed }, 'freed stale job claims');
      return freed;
    } catch (err) {
      this.o.log.error({ err: describe(err) }, 'sweeping stale claims failed');
      return 0;
    }
  }

  /** Stops claiming, then waits for the jobs in flight to end (SIGTERM drain). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ticker?.cancel();
    while (this.pumping || this.inflight.size > 0) {
      await Promise.race([...this.inflight, new Promise((r) => setTimeout(r, 20))]);
    }
  }

  /**
   * Runs everything due now and waits for it: what tests and the CLI use with a controlled
   * clock. Returns the number of jobs run.
   */
  async runDue(): Promise<number> {
    let ran = 0;
    for (;;) {
      await this.o.beforeTick?.();
      const jobs = await this.o.jobs.claim(this.workerId, this.o.concurrency);
      if (jobs.length === 0) return ran;
      await Promise.all(jobs.map((j) => this.execute(j)));
      ran += jobs.length;
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.mayHaveMore = false;
        if (this.tickWork) {
          this.tickWork = false;
          await this.o.beforeTick?.();
        }
        while (!this.stopped) {
          const free = this.o.concurrency - this.inflight.size;
          if (free <= 0) {
            this.mayHaveMore = true;
            break;
          }
          const jobs = await this.o.jobs.claim(this.workerId, free);
          for (const job of jobs) this.launch(job);
          if (jobs.length < free) break;
        }
      } while (this.mayHaveMore && !this.stopped && this.inflight.size < this.o.concurrency);
    } catch (err) {
      this.o.log.error({ err: describe(err) }, 'runner tick failed');
    } finally {
      this.pumping = false;
    }
  }

  private launch(job: Job): void {
    const p = this.execute(job).finally(() => {
      this.inflight.delete(p);
      // A claim is a transaction of its own (a commit); taking one job per job that ends would
      // double the database's work per email. Refill once a quarter of the slots are free.
      const free = this.o.concurrency - this.inflight.size;
      if (this.mayHaveMore && (free >= this.refillAt || this.inflight.size === 0)) this.claimMore();
    });
    this.inflight.add(p);
  }

  private async execute(job: Job): Promise<void> {
    const log = this.o.log.child({ job: job.id, kind: job.kind, flow: job.flow, step: job.step, attempt: job.attempts });
    const handler = this.o.handlers[job.kind];
    let outcome: JobOutcome;
    try {
      outcome = handler ? await handler(job, log) : { status: 'failed', error: `no handler for job kind ${job.kind}` };
    } catch (err) {
      outcome = { status: 'retry', error: describe(err) };
    }
    try {
      if (outcome.status === 'finished') return;
      if (outcome.status === 'retry') {
        if (job.attempts >= job.maxAttempts) {
          await this.o.jobs.finish(job, 'failed', 'gave_up', `gave up after ${job.attempts} attempts: ${outcome.error}`);
          log.error({ error: outcome.error }, 'job failed for good');
        } else {
          const delay = outcome.delayMs ?? backoffMs(job.attempts);
          await this.o.jobs.retryLater(job, new Date(this.o.clock.now().getTime() + delay), outcome.error);
          log.warn({ error: outcome.error, retryInMs: delay }, 'job will be retried');
        }
      } else if (outcome.status === 'deferred') {
        await this.o.jobs.defer(job, outcome.until, outcome.reason);
        log.info({ reason: outcome.reason, until: outcome.until.toISOString() }, 'job deferred');
      } else if (outcome.status === 'failed') {
        await this.o.jobs.finish(job, 'failed', null, outcome.error);
        log.error({ error: outcome.error }, 'job failed');
      } else {
        const finished = await this.o.jobs.finish(job, outcome.status, outcome.reason ?? null);
        if (!finished) log.warn('claim was lost before the job finished; another runner owns it now');
      }
    } catch (err) {
      // The claim stays; the sweeper frees it and the handler's own records prevent a repeat.
      log.error({ err: describe(err) }, 'could not record the job outcome');
    }
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 1000);
  return String(err).slice(0, 1000);
}
