import { type ChangeEvent, useId } from 'react';
import { DATA_ACCEPT } from './data-selectors.ts';
import { SAMPLES } from './use-dataset-loader.ts';

interface DataSourcesProps {
  disabled: boolean;
  onFile(file: File): void;
  onSample(name: string): void;
}

/** The file button and the built-in samples; dropping works anywhere on the panel. */
export function DataSources({ disabled, onFile, onSample }: DataSourcesProps) {
  const id = useId();
  const onChange = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (file) onFile(file);
  };
  return (
    <div className="data-sources">
      <label className="file-button">
        <input id={`${id}-file`} type="file" accept={DATA_ACCEPT} onChange={onChange} disabled={disabled} data-testid="data-file-input" />
        <span>Choose a file…</span>
      </label>
      <span className="muted">JSONL, CSV, TSV or Parquet — or drop it anywhere on this panel.</span>
      <span className="samples" role="group" aria-label="Sample datasets">
        <span className="muted">Samples:</span>
        {SAMPLES.map((s) => (
          <button key={s.file} type="button" className="ghost" disabled={disabled} onClick={() => onSample(s.file)} title={s.note} aria-label={`Load sample: ${s.title} — ${s.note}`}>
            {s.title}
          </button>
        ))}
      </span>
    </div>
  );
}
