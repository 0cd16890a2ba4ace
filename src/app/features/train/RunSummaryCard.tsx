import { useSession } from '../../session-store.ts';
import { formatEta, formatRank } from './format.ts';
import { deltaDirection, formatDelta, formatMetric } from '../../ui/format.ts';
import type { EvalPoint, RunStatus } from './run-state.ts';
import type { RankMover } from '../../../shared/events.ts';
import { HEADLINE_METRICS, labelledMetrics } from '../../../shared/metrics.ts';

const SHOWN = labelledMetrics(HEADLINE_METRICS);

export interface RunSummaryCardProps {
  readonly status: RunStatus;
  readonly step: number;
  readonly totalSteps: number;
  readonly seconds: number | null;
  readonly firstLoss: number | null;
  readonly lastLoss: number | null;
  readonly evals: readonly EvalPoint[];
  readonly movers: readonly RankMover[];
}

/** The summary shows metrics to 4 places, so a change that rounds to nothing is neither green nor red. */
const DIGITS = 4;
const DELTA_CLASS = { up: 'delta-up', down: 'delta-down', same: 'muted' } as const;

/** What a run that ended achieved, in one card: time, loss, metric deltas, best/worst queries, what next. */
export function RunSummaryCard({ status, step, totalSteps, seconds, firstLoss, lastLoss, evals, movers }: RunSummaryCardProps) {
  const setPanel = useSession((s) => s.setPanel);
  const before = evals.length > 0 && evals[0].step === 0 ? evals[0].metrics : null;
  const last = evals.length > 0 ? evals[evals.length - 1] : null;
  const after = last && last.step > 0 ? last.metrics : null;
  const best = movers.filter((m) => m.delta > 0).slice(0, 3);
  const worst = movers.filter((m) => m.delta < 0).slice(0, 3);
  return (
    <section className="run-summary" aria-labelledby="run-summary-title" data-testid="run-summary">
      <h3 id="run-summary-title">
        {status === 'finished' ? 'Run finished' : 'Run cancelled'}: {step} of {totalSteps} steps{seconds !== null ? ` in ${formatEta(seconds)}` : ''}
      </h3>
      {firstLoss !== null && lastLoss !== null && (
        <p className="small">
          Loss {firstLoss.toFixed(3)} → {lastLoss.toFixed(3)} ({lastLoss < firstLoss ? 'fell' : 'did not fall'}).
        </p>
      )}
      {before && after && (
        <table className="summary-metrics small">
          <tbody>
            {SHOWN.map(({ key, label }) => (
              <tr key={key} data-metric={key} data-delta={after[key] - before[key]}>
                <th scope="row">{label}</th>
                <td className="num">{formatMetric(before[key], DIGITS)}</td>
                <td>→</td>
                <td className="num">{formatMetric(after[key], DIGITS)}</td>
                <td className={`num ${DELTA_CLASS[deltaDirection(after[key] - before[key], DIGITS)]}`}>{formatDelta(after[key] - before[key], DIGITS)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(best.length > 0 || worst.length > 0) && (
        <div className="summary-movers small">
          {best.length > 0 && (
            <p>
              Helped most:{' '}
              {best.map((m) => `“${m.query}” (${formatRank(m.before)}→${formatRank(m.now)})`).join(', ')}
            </p>
          )}
          {worst.length > 0 && (
            <p>
              Hurt most:{' '}
              {worst.map((m) => `“${m.query}” (${formatRank(m.before)}→${formatRank(m.now)})`).join(', ')}
            </p>
          )}
        </div>
      )}
      <div className="row">
        <span className="small">Next:</span>
        <button type="button" className="small" onClick={() => setPanel('compare')} data-testid="summary-compare">
          Compare before and after
        </button>
        <button type="button" className="small ghost" onClick={() => setPanel('export')} data-testid="summary-export">
          Export the model
        </button>
      </div>
    </section>
  );
}
