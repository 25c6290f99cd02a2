/** Waiting on the fallback library's conform jobs in tests that drive a FallbackLibrary directly. */
import type { FallbackJob, FallbackLibrary } from '../../src/fallback/library.js';

/** Resolves with the job once it is done or failed (at once when it already is). */
export function jobFinished(library: FallbackLibrary, id: string): Promise<FallbackJob> {
  return new Promise((resolve) => {
    const check = (job: FallbackJob | undefined): void => {
      if (job?.id === id && (job.state === 'done' || job.state === 'failed')) {
        library.off('job', check);
        resolve(job);
      }
    };
    library.on('job', check);
    check(library.job(id));
  });
}
