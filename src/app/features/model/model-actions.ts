import { transfer } from 'comlink';
import type { ModelInfo, ModelSource, ProgressCallback } from '../../../worker/protocol.ts';
import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { callback, studio } from '../../worker-client.ts';
import { retrievalFromModel } from './model-files.ts';

/** The ArrayBuffers inside a source, so its bytes move to the worker instead of being copied. */
function transferables(source: ModelSource): ArrayBuffer[] {
  const views = source.kind === 'zip' ? [source.bytes] : source.kind === 'files' ? Object.values(source.files) : [];
  const buffers = new Set<ArrayBuffer>();
  for (const v of views) if (v.buffer instanceof ArrayBuffer) buffers.add(v.buffer);
  return [...buffers];
}

/** Loads a model in the worker; on success stores the model card and the retrieval settings it implies. */
export async function loadModel(source: ModelSource, onProgress: ProgressCallback): Promise<ModelInfo> {
  const info = await studio().loadModel(transfer(source, transferables(source)), callback(onProgress));
  useSession.getState().setModel(info);
  useSettings.getState().setRetrieval(retrievalFromModel(info));
  return info;
}

/** Stops the model load under way. */
export function cancelModelLoad(): void {
  void studio().cancelLoad();
}
