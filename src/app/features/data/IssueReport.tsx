import { groupIssues, issueLocation } from './data-selectors.ts';
import type { DataIssue } from '../../../worker/protocol.ts';

/** The worker sends at most this many issues (Workspace.datasetInfo). */
const WORKER_CAP = 500;
/** Lines rendered in the list; the rest are summarised by the grouped counts. */
const SHOWN = 200;

/** Every problem with the file as `file:line: message`, grouped counts first; scrollable and capped. */
export function IssueReport({ issues, skippedRows, shapeKnown }: { issues: readonly DataIssue[]; skippedRows: number; shapeKnown: boolean }) {
  if (issues.length === 0) {
    return (
      <section className="issue-report" aria-label="Validation report" data-testid="issue-report">
        <h3>Validation</h3>
        {shapeKnown ? (
          <p className="ok-text">No problems found: every row was read.</p>
        ) : (
          <p className="muted">Rows are checked once the columns are mapped (below).</p>
        )}
      </section>
    );
  }
  const groups = groupIssues(issues);
  const capped = issues.length >= WORKER_CAP;
  return (
    <section className="issue-report" aria-label="Validation report" data-testid="issue-report">
      <h3>
        Validation: {capped ? `${WORKER_CAP}+` : issues.length} problem{issues.length === 1 ? '' : 's'}, {skippedRows.toLocaleString()} row{skippedRows === 1 ? '' : 's'} skipped
      </h3>
      <ul className="issue-groups" aria-label="Problems by kind">
        {groups.map((g) => (
          <li key={g.code}><code>{g.code}</code> <span className="num">×{g.count}{capped ? '+' : ''}</span></li>
        ))}
      </ul>
      <ol className="issue-list" tabIndex={0} aria-label="Problems, line by line">
        {issues.slice(0, SHOWN).map((i, k) => (
          <li key={k}>
            <code className="issue-loc">{issueLocation(i)}</code>: {i.message}
          </li>
        ))}
      </ol>
      {(issues.length > SHOWN || capped) && (
        <p className="muted small">
          Showing the first {Math.min(SHOWN, issues.length)} of {capped ? `at least ${WORKER_CAP}` : issues.length} problems.
        </p>
      )}
    </section>
  );
}
