import type { JobStatus } from '../session-store.ts';

/** Seconds a stage must have run before its ETA is worth showing (its rate is noise before). */
export const ETA_AFTER_SECONDS = 2;

/** Seconds left in a job's stage at its rate so far, or null when there is nothing to measure yet. */
export function jobEtaSeconds(job: JobStatus, now: number): number | null {
  if (job.stageStartedAt === undefined || job.total <= 0 || job.done <= 0 || job.done >= job.total) return null;
  const elapsed = (now - job.stageStartedAt) / 1000;
  if (elapsed < ETA_AFTER_SECONDS) return null;
  return (elapsed * (job.total - job.done)) / job.done;
}
