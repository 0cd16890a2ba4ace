/**
 * Keeps the studio's workspace on a working device: starts the engine once, and after a lost
 * GPU builds a new device (or falls back to the CPU) with the model read again from its files,
 * the dataset and split set again and fine-tuned weights carried over. Also holds what the
 * session was loaded from (model files and source, dataset and split), which a rebuild and the
 * saved runs both need, and the last save that failed.
 */
import type { LoadedTrainingData } from '../data/load.ts';
import { loadSentenceModel, type ModelFiles } from '../io/load-model.ts';
import type { BackendInfo } from '../shared/events.ts';
import type { BackendPreference } from '../shared/names.ts';
import { DEFAULT_SPLIT, type SplitSettings } from '../shared/settings.ts';
import type { StoredModelSource } from '../storage/records.ts';
import type { StudioEnvironment } from './studio-environment.ts';
import { Workspace } from './workspace.ts';

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class WorkspaceHost {
  private workspace: Workspace | null = null;
  backendInfo: BackendInfo | null = null;
  dataset: LoadedTrainingData | null = null;
  split: SplitSettings = DEFAULT_SPLIT;
  /** What the loaded model was read from: a lost device is rebuilt from it. */
  modelLoad: { files: ModelFiles; name: string; randomWeights: boolean } | null = null;
  /** What the last model and dataset were, as saved runs name them. */
  modelSource: StoredModelSource | null = null;
  datasetRef: { id: string | null; name: string } | null = null;
  /** The last save that failed (a full disk, above all), until one succeeds. */
  saveProblem: string | null = null;
  private preference: BackendPreference = 'auto';
  private rebuilding: Promise<BackendInfo> | null = null;
  /** Resolves once a backend exists, so actions clicked before the engine started wait for it. */
  // Declared before `started`, whose initializer replaces it with the promise's resolver.
  private markStarted: () => void = () => {};
  private started: Promise<void> = new Promise((resolve) => (this.markStarted = resolve));
  private initializing: Promise<BackendInfo> | null = null;

  constructor(private readonly env: StudioEnvironment) {}

  /** The workspace, or null before init. */
  get current(): Workspace | null {
    return this.workspace;
  }

  ws(): Workspace {
    if (!this.workspace) throw new Error('the studio worker is not initialised');
    return this.workspace;
  }

  async ready(): Promise<Workspace> {
    await this.started;
    if (this.rebuilding) await this.rebuilding;
    const ws = this.ws();
    // A device lost between runs (a driver reset while the tab sat idle) is rebuilt quietly,
    // once however many requests find it gone.
    if (!ws.isTraining && (await ws.backend.deviceLost()) !== null) {
      await this.rebuildAfterDeviceLoss();
      return this.ws();
    }
    return ws;
  }

  /**
   * Starts the engine once. The page may ask twice (React runs mount effects twice in development,
   * and `auto` takes seconds to probe): a second ask for the same preference gets the first one's
   * answer instead of a second backend, which would drop a model loaded into the first meanwhile.
   */
  init(preference: BackendPreference): Promise<BackendInfo> {
    if (this.initializing && this.preference === preference) return this.initializing;
    this.preference = preference;
    this.initializing = (async () => {
      this.workspace?.backend.destroy();
      const { backend, fallbackReason } = await this.env.createBackend(preference);
      this.workspace = new Workspace(backend);
      this.backendInfo = fallbackReason ? { adapter: backend.adapter, fallbackReason } : { adapter: backend.adapter };
      this.markStarted();
      return this.backendInfo;
    })();
    return this.initializing;
  }

  /** A new device, once however many callers find the old one lost. */
  rebuildAfterDeviceLoss(): Promise<BackendInfo> {
    this.rebuilding ??= this.rebuild().finally(() => (this.rebuilding = null));
    return this.rebuilding;
  }

  private async rebuild(): Promise<BackendInfo> {
    const old = this.ws();
    try {
      old.backend.destroy();
    } catch {
      // Already gone with the device.
    }
    const { backend, fallbackReason } = await this.env.createBackend(this.preference);
    const ws = new Workspace(backend);
    if (this.modelLoad) {
      const loaded = await loadSentenceModel(this.modelLoad.files, backend);
      await ws.setModel(loaded, { name: this.modelLoad.name, randomWeights: this.modelLoad.randomWeights });
      if (this.dataset) ws.setDataset(this.dataset, this.split);
      const trained = old.keptTrainedWeights();
      if (trained) ws.adoptTrainedWeights(trained.params, trained.training);
    }
    this.workspace = ws;
    this.backendInfo = fallbackReason ? { adapter: backend.adapter, fallbackReason } : { adapter: backend.adapter };
    return this.backendInfo;
  }

  noteSaveProblem(what: string, e: unknown): void {
    const m = messageOf(e);
    this.saveProblem = m.startsWith('Not enough storage') ? m : `${what} failed: ${m}`;
  }
}
