import { randomUUID } from 'node:crypto';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { FallbackJob } from '../contract/index.js';
import { FallbackError } from './errors.js';

export type { FallbackJob } from '../contract/index.js';

/** The work of a job: run ffmpeg until done, reporting 0-100; stop when `signal` aborts. */
export type JobWork = (signal: AbortSignal, onProgress: (percent: number) => void) => Promise<void>;

interface Task {
  job: FallbackJob;
  source: string;
  work: JobWork;
  controller: AbortController;
  /** Settles when the job ends; rejects with its error. */
  done: Promise<void>;
  settle: (err?: unknown) => void;
}

const MAX_FINISHED_JOBS = 100;

/**
 * The fallback job queue. Two cores: one conform at a time; slates (a few seconds) go first and may run
 * beside a conform, so a first fallback never waits minutes for its slate. A job for the same (channel,
 * kind, key) as a queued or running one is that one. Every change is reported to `onChange` as a copy.
 */
export class JobQueue {
  readonly #tasks: Task[] = []; // queued and running, in queue order
  readonly #finished: FallbackJob[] = [];
  readonly #onChange: (job: FallbackJob) => void;
  readonly #logger: Logger;
  #closed = false;

  constructor(onChange: (job: FallbackJob) => void, logger: Logger) {
    this.#onChange = onChange;
    this.#logger = logger;
  }

  /** Queues a job (or finds the same one queued or running); `done` settles when it ends. */
  enqueue(
    channelId: string,
    kind: FallbackJob['kind'],
    key: string,
    work: JobWork,
    /** What the job makes its file from (an upload's id): jobs for different sources are not the same. */
    source = '',
  ): { job: FallbackJob; done: Promise<void> } {
    const same = this.#tasks.find(
      (t) => t.job.channelId === channelId && t.job.kind === kind && t.job.key === key && t.source === source,
    );
    if (same !== undefined) return { job: { ...same.job }, done: same.done };
    if (this.#closed) throw new FallbackError('CONFORM_FAILED', 'the fallback library is closed');
    const startedAt = new Date().toISOString();
    const job: FallbackJob = {
      id: randomUUID(),
      channelId,
      key,
      kind,
      state: 'queued',
      percent: 0,
      startedAt,
    };
    let settle: Task['settle'] = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => {
        if (err === undefined) resolve();
        else reject(err instanceof Error ? err : new Error(errorMessage(err)));
      };
    });
    done.catch(() => undefined); // only some callers await it: never an unhandled rejection
    const task: Task = { job, source, work, controller: new AbortController(), done, settle };
    this.#tasks.push(task);
    this.#changed(job);
    this.#pump();
    return { job: { ...job }, done };
  }

  /** Queued, running and the last finished jobs (copies), matching `filter`, oldest first. */
  list(filter: (job: FallbackJob) => boolean = () => true): FallbackJob[] {
    return [...this.#finished, ...this.#tasks.map((t) => t.job)].filter(filter).map((j) => ({ ...j }));
  }

  /** Aborts matching jobs (queued ones fail at once) and resolves when all of them have ended. */
  async cancel(match: (job: FallbackJob, source: string) => boolean, reason: string): Promise<void> {
    const tasks = this.#tasks.filter((t) => match(t.job, t.source));
    for (const task of tasks) {
      const err = new FallbackError('CONFORM_FAILED', reason);
      if (task.job.state === 'queued') this.#finish(task, err);
      else task.controller.abort(err);
    }
    await Promise.all(tasks.map((t) => t.done.catch(() => undefined)));
  }

  /** No new jobs; every queued and running one is aborted. */
  close(): Promise<void> {
    this.#closed = true;
    return this.cancel(() => true, 'shutting down');
  }

  /** Starts what may start: one slate at a time, and one conform while no slate waits or runs. */
  #pump(): void {
    const running = (kind: FallbackJob['kind']): boolean =>
      this.#tasks.some((t) => t.job.kind === kind && t.job.state === 'running');
    const slate = this.#tasks.find((t) => t.job.kind === 'slate' && t.job.state === 'queued');
    if (slate && !running('slate')) this.#start(slate);
    const upload = this.#tasks.find((t) => t.job.kind === 'upload' && t.job.state === 'queued');
    const slatesBusy = this.#tasks.some((t) => t.job.kind === 'slate');
    if (upload && !slatesBusy && !running('upload')) this.#start(upload);
  }

  #start(task: Task): void {
    const { job } = task;
    job.state = 'running';
    this.#changed(job);
    this.#logger.info({ job }, 'fallback job started');
    let shown = 0;
    const onProgress = (percent: number): void => {
      const floored = Math.floor(percent);
      if (job.state !== 'running' || floored <= shown || floored >= 100) return; // 100 means done
      shown = floored;
      job.percent = floored;
      this.#changed(job);
    };
    Promise.resolve()
      .then(() => task.work(task.controller.signal, onProgress))
      .then(
        () => {
          this.#finish(task);
        },
        (err: unknown) => {
          this.#finish(task, err ?? new Error('failed'));
        },
      );
  }

  #finish(task: Task, err?: unknown): void {
    const index = this.#tasks.indexOf(task);
    if (index === -1) return; // already finished (cancelled while queued)
    this.#tasks.splice(index, 1);
    const { job } = task;
    job.finishedAt = new Date().toISOString();
    if (err === undefined) {
      job.state = 'done';
      job.percent = 100;
      this.#logger.info({ job }, 'fallback job done');
    } else {
      job.state = 'failed';
      job.error = errorMessage(err);
      this.#logger.warn({ job, err }, 'fallback job failed');
    }
    this.#finished.push(job);
    if (this.#finished.length > MAX_FINISHED_JOBS) this.#finished.shift();
    this.#changed(job);
    task.settle(err);
    this.#pump();
  }

  #changed(job: FallbackJob): void {
    this.#onChange({ ...job });
  }
}
