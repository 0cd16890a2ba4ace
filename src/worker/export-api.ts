/** What the Export panel asks for: the zipped folder, the Hub push, the GPU recipe, the ONNX check. */
import { unzipSync, zipSync } from 'fflate';
import type { ProgressCallback } from '../shared/events.ts';
import type { RetrievalSettings, TrainingConfig } from '../shared/settings.ts';
import type { ExportResult, HubPushProgress, HubPushRequest, HubPushResult, OnnxVerificationReport } from './protocol.ts';
import type { WorkspaceHost } from './workspace-host.ts';

function zipUnder(folder: string, files: ReadonlyMap<string, Uint8Array>): ExportResult {
  const entries: Record<string, Uint8Array> = {};
  for (const [path, bytes] of files) entries[`${folder}/${path}`] = bytes;
  return { zip: zipSync(entries, { level: 6 }), files: [...files.keys()], sizes: Object.fromEntries([...files].map(([p, b]) => [p, b.byteLength])) };
}

export class ExportApi {
  private pushAbort: AbortController | null = null;

  constructor(private readonly host: WorkspaceHost) {}

  /** The model as a zip of a sentence-transformers folder (with its model card), built whole in memory first. */
  async exportZip(settings: RetrievalSettings): Promise<ExportResult> {
    return zipUnder('model', await (await this.host.ready()).exportFolder(settings));
  }

  /**
   * Exports with these settings (the card naming the repo) and pushes the folder to the Hub
   * through @huggingface/hub. Rejects with the push's own message (HubPushError) when it fails;
   * cancelPush stops it. The token lives only in this call.
   */
  async pushToHub(settings: RetrievalSettings, request: HubPushRequest, onProgress?: (p: HubPushProgress) => void): Promise<HubPushResult> {
    if (this.pushAbort) throw new Error('a push is already going');
    const controller = new AbortController();
    this.pushAbort = controller;
    try {
      const files = await (await this.host.ready()).exportFolder(settings, { modelId: request.repo });
      const { pushToHub } = await import('../io/hub/push.ts');
      return await pushToHub({
        repo: request.repo, files, token: request.token, private: request.private, updateExisting: request.updateExisting,
        ...(request.hubUrl ? { hubUrl: request.hubUrl } : {}), signal: controller.signal, onProgress,
      });
    } finally {
      this.pushAbort = null;
    }
  }

  cancelPush(): void {
    this.pushAbort?.abort();
  }

  /** "Continue on GPUs": the sentence-transformers project for this config and data split, zipped under recipe/. */
  async recipeZip(config: TrainingConfig, settings: RetrievalSettings): Promise<ExportResult> {
    const source = this.host.modelSource;
    return zipUnder('recipe', await (await this.host.ready()).recipeFiles(config, settings, source?.kind === 'hub' ? source.repoId : null));
  }

  /**
   * Loads the exported ONNX files back through transformers.js and compares them with the engine
   * (see ExportJob.verifyOnnx). Given the zip exportZip returned, it checks exactly those bytes;
   * without it, a fresh export with these settings. Cancel with cancelJob.
   */
  async verifyOnnx(settings: RetrievalSettings, onProgress?: ProgressCallback, zip?: Uint8Array): Promise<OnnxVerificationReport> {
    const ws = await this.host.ready();
    let files: Map<string, Uint8Array> | undefined;
    if (zip) {
      files = new Map();
      for (const [path, bytes] of Object.entries(unzipSync(zip))) if (path.startsWith('model/') && !path.endsWith('/')) files.set(path.slice('model/'.length), bytes);
    }
    return ws.verifyOnnx(settings, onProgress, files);
  }
}
