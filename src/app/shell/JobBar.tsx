import { useEffect, useState } from 'react';
import { useSession } from '../session-store.ts';
import { formatEta } from '../features/train/format.ts';
import { jobEtaSeconds } from './job-eta.ts';

/**
 * Every long job the worker is running, in one place: what it does, a bar with counts, the time
 * left once it can be measured, and Cancel where the job can stop. Reserves its height so the
 * layout never jumps.
 */
export function JobBar() {
  const jobs = useSession((s) => s.jobs);
  const entries = Object.entries(jobs);
  // The ETA moves with the clock between progress updates.
  const [now, setNow] = useState(() => Date.now());
  const busy = entries.length > 0;
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [busy]);
  return (
    <div className="job-bar" role="status" aria-live="polite" data-testid="job-bar">
      {entries.map(([id, job]) => {
        const eta = jobEtaSeconds(job, now);
        return (
          <span key={id} className="job" data-job={id}>
            <span className="job-label">{job.label}</span>
            <progress max={job.total > 0 ? job.total : undefined} value={job.total > 0 ? job.done : undefined} aria-label={job.label} />
            {job.total > 0 && (
              <span className="job-count num small" data-testid="job-count">
                {job.done}/{job.total}
              </span>
            )}
            {eta !== null && <span className="job-eta small muted">about {formatEta(eta)} left</span>}
            {job.cancel && (
              <button type="button" className="ghost small" onClick={job.cancel} data-testid="job-cancel">
                Cancel
              </button>
            )}
          </span>
        );
      })}
    </div>
  );
}
