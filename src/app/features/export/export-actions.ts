import * as Comlink from 'comlink';
import type { HubPushProgress, HubPushRequest, HubPushResult } from '../../../worker/protocol.ts';
import { useSession } from '../../session-store.ts';
import { callback, studio } from '../../worker-client.ts';
import { exportKey, IDLE_VERIFICATION, useExport, type VerifyOnnx } from './export-store.ts';
import type { RetrievalSettings, TrainingConfig } from '../../../shared/settings.ts';

/** The Export panel's worker calls: the zip and its ONNX check (into useExport), the GPU recipe and the Hub push. */

const set = useExport.setState;
const get = useExport.getState;

/** The check in the studio worker, through transformers.js and onnxruntime-web. */
export const workerVerifyOnnx: VerifyOnnx = (settings, onProgress, zip) =>
  studio().verifyOnnx(settings, callback(onProgress), zip ? Comlink.transfer(zip, [zip.buffer as ArrayBuffer]) : undefined);

/** Stops the worker's long job under way (here: the ONNX check). */
export function cancelWorkerJob(): void {
  void studio().cancelJob();
}

/** Builds the zip; with `verify`, then checks its ONNX files (the download is offered meanwhile). */
export async function buildExport(settings: RetrievalSettings, revision: number, verify?: VerifyOnnx): Promise<void> {
  if (get().status === 'building') return;
  set({ status: 'building', error: null });
  const session = useSession.getState();
  session.setJob('export', { label: 'Building model.zip', done: 0, total: 0 });
  let zip: Uint8Array | null = null;
  try {
    const result = await studio().exportZip(settings);
    const blob = new Blob([result.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
    const old = get().url;
    if (old) URL.revokeObjectURL(old);
    set({ status: 'ready', url: URL.createObjectURL(blob), bytes: blob.size, files: result.files, sizes: result.sizes, key: exportKey(settings, revision), verification: IDLE_VERIFICATION });
    zip = result.zip;
  } catch (e) {
    set({ status: 'failed', error: (e as Error).message });
  } finally {
    session.setJob('export', null);
  }
  if (zip && verify && get().files.some((f) => f.startsWith('onnx/'))) await verifyExport(settings, revision, verify, zip);
}

/** Checks the exported ONNX files: those of `zip`, or of an export made again with these settings. */
export async function verifyExport(settings: RetrievalSettings, revision: number, verify: VerifyOnnx, zip?: Uint8Array): Promise<void> {
  if (get().verification.status === 'running') return;
  const key = exportKey(settings, revision);
  set({ verification: { status: 'running', report: null, error: null, key } });
  const session = useSession.getState();
  session.setJob('verify-onnx', { label: 'Verifying ONNX files', done: 0, total: 0, cancel: cancelWorkerJob });
  try {
    const report = await verify(settings, (stage, done, total) => session.setJob('verify-onnx', { label: `ONNX check: ${stage}`, done, total }), zip);
    set({ verification: { status: 'done', report, error: null, key } });
  } catch (e) {
    const err = e as Error;
    set({ verification: { status: 'failed', report: null, error: err.name === 'AbortError' ? 'cancelled' : err.message, key } });
  } finally {
    session.setJob('verify-onnx', null);
  }
}

/** The run as a sentence-transformers training project, zipped: its object URL (the caller revokes it), size and file count. */
export async function buildRecipeZip(config: TrainingConfig, settings: RetrievalSettings): Promise<{ url: string; bytes: number; files: number }> {
  const r = await studio().recipeZip(config, settings);
  const blob = new Blob([r.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
  return { url: URL.createObjectURL(blob), bytes: blob.size, files: r.files.length };
}

/** Pushes the export to a Hub repo; the token goes to the worker for this push only. */
export function pushToHub(settings: RetrievalSettings, request: HubPushRequest, onProgress: (progress: HubPushProgress) => void): Promise<HubPushResult> {
  return studio().pushToHub(settings, request, callback(onProgress));
}

export function cancelHubPush(): void {
  void studio().cancelPush();
}
