/**
 * A conform job as the API shows it, derived in one place: the control plane answers with it and the
 * event feed streams it (with the job's kind), and the two may share only the contract.
 */
import type { FallbackJobDto, JobEventDto } from './api.js';
import type { FallbackJob } from './engine.js';

/** The API's view of a fallback job. */
export function fallbackJobDto(job: FallbackJob): FallbackJobDto {
  return {
    id: job.id,
    channelId: job.channelId,
    key: job.key,
    state: job.state,
    percent: job.percent,
    error: job.error ?? null,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt ?? null,
  };
}

/** The `job` event of `/api/events`: the job's view and its kind. */
export function jobEventDto(job: FallbackJob): JobEventDto {
  return { ...fallbackJobDto(job), kind: job.kind };
}
