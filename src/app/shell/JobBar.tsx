import { useSession } from '../session-store.ts';

/** Long jobs the worker is running, with progress; reserves its height so the layout never jumps. */
export function JobBar() {
  const jobs = useSession((s) => s.jobs);
  const entries = Object.entries(jobs);
  return (
    <div className="job-bar" role="status" aria-live="polite">
      {entries.map(([id, job]) => (
        <span key={id} className="job">
          {job.label}
          {job.total > 0 && <progress max={job.total} value={job.done} aria-label={job.label} />}
        </span>
      ))}
    </div>
  );
}
