/** A dataset as the session holds it: its rows, their train / eval split and the eval retrieval set. */
import { evalSplit } from '../data/eval-split.ts';
import type { IrEvalSet } from '../data/ir-dataset.ts';
import type { LoadedTrainingData } from '../data/load.ts';
import type { TrainingExample } from '../data/shape.ts';
import type { SplitSettings } from '../shared/settings.ts';
import type { DatasetInfo, PreviewRow } from './protocol.ts';

export class LoadedDataset {
  readonly train: TrainingExample[];
  readonly evalRows: TrainingExample[];
  /** Which side of the split each row of the file went to. */
  readonly split: ('train' | 'eval')[];
  /** Queries = the eval split's anchors; corpus = every document in the file. */
  readonly evalSet: IrEvalSet | null;

  constructor(readonly data: LoadedTrainingData, splitSettings: SplitSettings) {
    const shape = data.detection.ok ? data.detection.mapping.shape : null;
    const { train, eval: evalRows, evalIndex, evalSet } = evalSplit(data.examples, shape, splitSettings);
    this.train = train;
    this.evalRows = evalRows;
    this.evalSet = evalSet;
    this.split = data.examples.map(() => 'train');
    for (const i of evalIndex) this.split[i] = 'eval';
  }

  get shape() {
    return this.data.detection.ok ? this.data.detection.mapping.shape : null;
  }

  info(): DatasetInfo {
    const det = this.data.detection;
    const report = this.data.report;
    return {
      file: report.file,
      shape: this.shape,
      shapeReason: det.reason,
      columns: det.columns,
      mapping: det.ok ? det.mapping : null,
      losses: this.data.losses,
      rows: this.data.examples.length,
      totalLines: report.totalLines,
      skippedRows: report.skippedRows,
      issues: report.issues.slice(0, 500),
      issueTotal: report.issues.length,
      issueCounts: report.countsByCode,
      trainRows: this.train.length,
      evalRows: this.evalRows.length,
      evalQueries: this.evalSet?.queries.length ?? 0,
      corpusSize: this.evalSet?.corpus.length ?? 0,
    };
  }

  rows(offset: number, count: number): PreviewRow[] {
    return this.data.examples.slice(offset, offset + count).map((e, i) => {
      const row: PreviewRow = { line: this.data.lines[offset + i], texts: e.texts, split: this.split[offset + i] };
      return e.label === undefined ? row : { ...row, label: e.label };
    });
  }

  requireEvalSet(): IrEvalSet {
    if (!this.evalSet) throw new Error('retrieval needs (query, positive[, negative]) rows and a non-empty eval split');
    return this.evalSet;
  }
}
