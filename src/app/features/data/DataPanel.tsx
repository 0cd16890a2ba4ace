import { useState } from 'react';
import { useSession } from '../../session-store.ts';
import { DropZone } from '../../ui/DropZone.tsx';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { ProgressNote } from '../../ui/ProgressNote.tsx';
import { DataSources } from './DataSources.tsx';
import { DatasetSummary } from './DatasetSummary.tsx';
import { IssueReport } from './IssueReport.tsx';
import { MappingEditor } from './MappingEditor.tsx';
import { PreviewTable } from './PreviewTable.tsx';
import { SplitControls } from './SplitControls.tsx';
import { DATA_JOB, hasLastFile, useDatasetLoader } from './use-dataset-loader.ts';

/** Step 2: bring training data (drop, choose, or a sample), see how it was read, fix and split it. */
export function DataPanel() {
  const info = useSession((s) => s.dataset);
  const revision = useSession((s) => s.revision);
  const job = useSession((s) => s.jobs[DATA_JOB]);
  const { loading, error, loadFile, loadSample, reload } = useDatasetLoader();
  const [mappingOpen, setMappingOpen] = useState(false);
  const showMapping = info !== null && (info.shape === null || mappingOpen);

  const onDrop = (files: File[]) => {
    if (files.length > 0) loadFile(files[0]);
  };

  return (
    <DropZone onDrop={onDrop} overlay="Drop a JSONL, CSV, TSV or Parquet file to load it" disabled={loading} className="data-panel" testId="data-dropzone" label="Data">
      <h2>Data</h2>
      <DataSources disabled={loading} onFile={loadFile} onSample={loadSample} />
      <ProgressNote job={job} />
      <ErrorNote error={error} />
      {info === null ? (
        <div className="drop-hint" aria-hidden="true">
          <p>Drop a training file here</p>
          <p className="muted small">
            Columns named like sentence-transformers datasets: <code>query</code>/<code>anchor</code> + <code>positive</code> [+ <code>negative</code>],{' '}
            <code>sentence1</code> + <code>sentence2</code> + <code>score</code>, or <code>text</code> + <code>label</code>.
          </p>
        </div>
      ) : (
        <>
          <div className="data-overview">
            <div>
              <DatasetSummary info={info} />
              <SplitControls hasDataset />
            </div>
            <IssueReport issues={info.issues} skippedRows={info.skippedRows} shapeKnown={info.shape !== null} />
          </div>
          {info.shape !== null && (
            <button type="button" className="ghost" aria-expanded={mappingOpen} onClick={() => setMappingOpen((o) => !o)} disabled={!hasLastFile()}>
              {mappingOpen ? 'Hide column mapping' : 'Override the column mapping…'}
            </button>
          )}
          {showMapping && (
            <MappingEditor key={`${info.file}:${JSON.stringify(info.mapping)}`} info={info} disabled={loading || !hasLastFile()} onApply={reload} />
          )}
          <PreviewTable info={info} revision={revision} />
        </>
      )}
    </DropZone>
  );
}
