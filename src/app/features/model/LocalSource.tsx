import { type ChangeEvent, useId } from 'react';
import type { ModelSource } from '../../../worker/protocol.ts';
import { DropZone } from '../../ui/DropZone.tsx';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { droppedFiles } from '../../ui/use-file-drop.ts';
import { inputFolderFiles, isZip, readModelFolder } from './model-files.ts';

interface LocalSourceProps {
  disabled: boolean;
  error?: string;
  /** `getSource` runs inside the loader so reading errors land next to this control. */
  onLoad(getSource: () => Promise<ModelSource>): void;
}

async function zipSource(file: File): Promise<ModelSource> {
  return { kind: 'zip', name: file.name.replace(/\.zip$/i, ''), bytes: new Uint8Array(await file.arrayBuffer()) };
}

/** A sentence-transformers folder or a .zip of one, chosen or dropped. */
export function LocalSource({ disabled, error, onLoad }: LocalSourceProps) {
  const id = useId();

  const onFolder = (e: ChangeEvent<HTMLInputElement>) => {
    const list = e.target.files;
    if (!list || list.length === 0) return;
    const files = inputFolderFiles(list);
    e.target.value = '';
    onLoad(async () => (await readModelFolder(files, 'local model')).source);
  };
  const onZip = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (file) onLoad(() => zipSource(file));
  };
  const onDrop = (files: File[], dt: DataTransfer) => {
    if (files.length === 1 && isZip(files[0])) {
      onLoad(() => zipSource(files[0]));
      return;
    }
    // Entries must be taken from the DataTransfer now; it is emptied after the event.
    const walking = droppedFiles(dt);
    onLoad(async () => (await readModelFolder(await walking, 'dropped model')).source);
  };

  return (
    <DropZone onDrop={onDrop} overlay="Drop a model folder or .zip" disabled={disabled} className="source-card" label="Local model">
      <h3>From your disk</h3>
      <p className="muted">
        A sentence-transformers folder (<code>config.json</code>, <code>tokenizer.json</code>, <code>model.safetensors</code>
        {' '}or only <code>onnx/model.onnx</code>, <code>modules.json</code>, <code>1_Pooling/</code>) or a .zip of one. Drop it here or choose it:
      </p>
      <div className="row">
        <label className="file-button">
          <input
            type="file"
            ref={(el) => {
              el?.setAttribute('webkitdirectory', '');
              el?.setAttribute('directory', '');
            }}
            onChange={onFolder}
            disabled={disabled}
            aria-describedby={`${id}-error`}
          />
          <span>Choose folder…</span>
        </label>
        <label className="file-button">
          <input type="file" accept=".zip,application/zip" onChange={onZip} disabled={disabled} aria-describedby={`${id}-error`} />
          <span>Choose .zip…</span>
        </label>
      </div>
      <ErrorNote id={`${id}-error`} error={error} />
    </DropZone>
  );
}
