import type { JobStatus } from '../session-store.ts';

/**
 * One line of progress for a job, with its height reserved whether or not a job runs, so the
 * content under it never jumps. Shows a determinate bar when the total is known.
 */
export function ProgressNote({ job, idle = '' }: { job: JobStatus | null | undefined; idle?: string }) {
  const pct = job && job.total > 0 ? Math.min(100, Math.round((job.done / job.total) * 100)) : null;
  return (
    <div className="progress-note" role="status" aria-live="polite">
      {job ? (
        <>
          <span className="progress-label">{job.label}</span>
          {job.total > 0 ? (
            <progress max={job.total} value={Math.min(job.done, job.total)} aria-label={job.label} />
          ) : (
            <progress aria-label={job.label} />
          )}
          {pct !== null && <span className="num muted">{pct}%</span>}
        </>
      ) : (
        <span className="muted">{idle}</span>
      )}
    </div>
  );
}
