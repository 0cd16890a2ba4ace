/**
 * Bringing a model and a dataset into the session: downloads or files, parsing, the split, and
 * keeping them (the dataset's bytes, the model's source) so a reload can bring them back.
 */
import type { ColumnMapping } from '../data/shape.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import type { ProgressCallback } from '../shared/events.ts';
import type { SplitSettings } from '../shared/settings.ts';
import type { DatasetSummary, StoredModelSource } from '../storage/records.ts';
import type { DatasetInfo, ModelInfo, ModelSource, OpenedDataset, RestorableSession } from './protocol.ts';
import { requireStorage, type StudioEnvironment } from './studio-environment.ts';
import type { WorkspaceHost } from './workspace-host.ts';

/** A model source as it can be remembered: no token, no file bytes. */
export function storedModelSource(source: ModelSource, name: string): StoredModelSource {
  switch (source.kind) {
    case 'builtin':
      return { kind: 'builtin' };
    case 'hub':
      return source.endpoint ? { kind: 'hub', repoId: source.repoId, endpoint: source.endpoint } : { kind: 'hub', repoId: source.repoId };
    default:
      return { kind: 'local', name };
  }
}

/** "the built-in model", "BAAI/bge-small-en-v1.5 from the Hub", … */
export function describeModelSource(source: StoredModelSource | null, name: string): string {
  if (!source) return name;
  if (source.kind === 'builtin') return 'the built-in model';
  if (source.kind === 'hub') return `${source.repoId} from the Hub`;
  return `${source.name} (from your own files)`;
}

export class StudioLoading {
  private loadAbort: AbortController | null = null;

  constructor(
    private readonly host: WorkspaceHost,
    private readonly env: StudioEnvironment,
  ) {}

  /** Cancels a model download in progress (the partial files stay cached for a later resume). */
  cancelLoad(): void {
    this.loadAbort?.abort();
  }

  async loadModel(source: ModelSource, onProgress: ProgressCallback): Promise<ModelInfo> {
    const ws = await this.host.ready();
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    const { files, name, randomWeights } = await this.env.resolveModel(source, onProgress, abort.signal);
    onProgress('reading weights', 0, 1);
    const loaded = await loadSentenceModel(files, ws.backend);
    onProgress('reading weights', 1, 1);
    const info = await ws.setModel(loaded, { name, randomWeights });
    this.host.modelLoad = { files, name, randomWeights };
    if (this.host.dataset) ws.setDataset(this.host.dataset, this.host.split);
    this.host.modelSource = storedModelSource(source, name);
    await this.env.storage?.rememberModel(this.host.modelSource).catch((e: unknown) => this.host.noteSaveProblem('remembering the model', e));
    return info;
  }

  async loadDataset(name: string, data: Uint8Array | Blob, split: SplitSettings, mapping?: ColumnMapping, onProgress?: ProgressCallback): Promise<DatasetInfo> {
    await this.host.ready();
    const progress = onProgress && ((loaded: number, total: number | null) => onProgress(`reading ${name}`, loaded, total ?? loaded));
    const dataset = await this.env.parseDataset(name, data, mapping, progress);
    this.host.dataset = dataset;
    this.host.split = split;
    const info = this.host.ws().setDataset(dataset, split);
    this.host.datasetRef = { id: null, name };
    // A file that yields no rows (unmapped columns, every row refused) is not kept: there is
    // nothing in it to come back to. Mapped again, it is saved then.
    if (this.env.storage && info.rows > 0) {
      try {
        // The store keeps bytes: a File is read whole (bytes, never text) only now, after parsing.
        const bytes = data instanceof Uint8Array ? data : new Uint8Array(await data.arrayBuffer());
        this.host.datasetRef = { id: (await this.env.storage.saveDataset(name, bytes, mapping ?? null, split)).id, name };
      } catch (e) {
        this.host.noteSaveProblem(`saving the dataset ${name}`, e);
      }
    }
    return info;
  }

  setSplit(split: SplitSettings): DatasetInfo {
    const dataset = this.host.dataset;
    if (!dataset) throw new Error('load a dataset first');
    this.host.split = split;
    const id = this.host.datasetRef?.id;
    if (id && this.env.storage) void this.env.storage.updateDataset(id, { split }).catch((e: unknown) => this.host.noteSaveProblem('saving the split', e));
    return this.host.ws().setDataset(dataset, split);
  }

  async listDatasets(): Promise<DatasetSummary[]> {
    return requireStorage(this.env).listDatasets();
  }

  /** Loads a saved dataset as if its file had been dropped again, with its mapping and split. */
  async openDataset(id: string): Promise<OpenedDataset> {
    const { summary, bytes } = await requireStorage(this.env).openDataset(id);
    const dataset = await this.env.parseDataset(summary.name, bytes, summary.mapping ?? undefined);
    this.host.dataset = dataset;
    this.host.split = summary.split;
    this.host.datasetRef = { id, name: summary.name };
    return { info: this.host.ws().setDataset(dataset, this.host.split), dataset: summary };
  }

  async deleteDataset(id: string): Promise<void> {
    await requireStorage(this.env).deleteDataset(id);
    const ref = this.host.datasetRef;
    if (ref?.id === id) this.host.datasetRef = { id: null, name: ref.name };
  }

  /** What a reload can bring back: the last model choice and the last dataset. */
  async lastSession(): Promise<RestorableSession> {
    if (!this.env.storage) return { model: null, dataset: null };
    return this.env.storage.lastSession();
  }
}
