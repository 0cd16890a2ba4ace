import { useState } from 'react';
import type { DatasetSummary } from '../../../worker/protocol.ts';
import { formatBytes } from '../../ui/format.ts';
import { formatRunDate } from './runs-format.ts';

/** Datasets kept in this browser: load one again, or delete it to free space. */
export function SavedDatasets({ datasets, busy, current, onOpen, onDelete }: {
  datasets: readonly DatasetSummary[];
  busy: string | null;
  /** The file name of the dataset loaded now. */
  current: string | null;
  onOpen(id: string): void;
  onDelete(id: string): void;
}) {
  const [confirming, setConfirming] = useState<string | null>(null);
  return (
    <section className="saved-datasets" aria-labelledby="saved-datasets-title">
      <h3 id="saved-datasets-title">Saved datasets</h3>
      {datasets.length === 0 ? (
        <p className="muted small">Datasets you load are kept here, so a reload brings the last one back.</p>
      ) : (
        <table className="runs-table small" data-testid="saved-datasets">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col" className="num">Size</th>
              <th scope="col">Last used</th>
              <th scope="col">Split</th>
              <th scope="col"><span className="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {datasets.map((d) => (
              <tr key={d.id}>
                <td className="mono">
                  {d.name}
                  {d.name === current && <span className="chip">loaded</span>}
                </td>
                <td className="num">{formatBytes(d.size)}</td>
                <td>{formatRunDate(d.lastUsed)}</td>
                <td>
                  {Math.round(d.split.evalFraction * 100)} % eval, seed {d.split.seed}
                </td>
                <td className="actions">
                  {confirming === d.id ? (
                    <>
                      <span className="small">Delete this dataset?</span>
                      <button type="button" className="danger small" disabled={busy !== null} onClick={() => { setConfirming(null); onDelete(d.id); }}>
                        Delete
                      </button>
                      <button type="button" className="ghost small" onClick={() => setConfirming(null)}>
                        Keep
                      </button>
                    </>
                  ) : (
                    <>
                      <button type="button" className="small" disabled={busy !== null} onClick={() => onOpen(d.id)}>
                        Load
                      </button>
                      <button type="button" className="ghost small" disabled={busy !== null} onClick={() => setConfirming(d.id)} aria-label={`Delete the saved dataset ${d.name}`}>
                        Delete…
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
