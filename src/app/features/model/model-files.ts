/**
 * Turning a chosen or dropped model folder into the `{ kind: 'files' }` source the worker reads:
 * paths relative to the model folder (the folder's own name stripped), and only the files the
 * loader reads (JSON/text configs, tokenizer, safetensors) — a Hub snapshot also holds ONNX,
 * PyTorch and TF weights that would only cost memory. A folder without model.safetensors keeps
 * one ONNX file: the loader then reads the weights from its initializers.
 */
import type { ModelInfo, ModelSource } from '../../../worker/protocol.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

export interface FolderPlan {
  /** The model's name: the dropped folder's name, or the fallback. */
  readonly name: string;
  /** Files to read: `from` is the path as given, `to` the path inside the model folder. */
  readonly keep: readonly { readonly from: string; readonly to: string }[];
  /** Paths left out because the loader never reads them. */
  readonly skipped: readonly string[];
}

const KEEP_EXTENSIONS = ['.json', '.txt', '.safetensors', '.model'];
const SKIP_DIRS = new Set(['onnx', 'openvino', '.git', '.cache', '__pycache__']);
const ROOT_MARKERS = ['config.json', 'modules.json'];
/** The loader's order of preference when there is no model.safetensors (load-model.ts ONNX_WEIGHT_FILES). */
const ONNX_WEIGHT_FILES = ['onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx'];

function normalise(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\.?\//, '').replace(/\/+/g, '/');
}

/** The common first folder of all paths, when every path has one and it is the same. */
export function commonTopFolder(paths: readonly string[]): string | null {
  if (paths.length === 0) return null;
  let top: string | null = null;
  for (const p of paths) {
    const slash = p.indexOf('/');
    if (slash <= 0) return null;
    const head = p.slice(0, slash);
    if (top === null) top = head;
    else if (top !== head) return null;
  }
  return top;
}

/** Whether the loader can use this file (by its path inside the model folder). */
export function isModelFile(rel: string): boolean {
  const parts = rel.split('/');
  if (parts.some((p) => SKIP_DIRS.has(p) || p.startsWith('.'))) return false;
  const lower = rel.toLowerCase();
  return KEEP_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/**
 * Plans what to read from a list of paths ("my-model/config.json", "my-model/1_Pooling/config.json"…):
 * strips the common top folder (naming the model after it), then, if the model's `config.json` /
 * `modules.json` still is not at the root but sits in exactly one shallowest sub-folder (a folder
 * of models dropped), re-roots there.
 */
export function planModelFolder(rawPaths: readonly string[], fallbackName: string): FolderPlan {
  let paths = rawPaths.map(normalise);
  let name = fallbackName;
  let prefix = '';
  const top = commonTopFolder(paths);
  if (top !== null) {
    name = top;
    prefix = `${top}/`;
  }
  let rel = paths.map((p) => p.slice(prefix.length));

  const atRoot = rel.some((r) => ROOT_MARKERS.includes(r));
  if (!atRoot) {
    const homes = rel
      .filter((r) => ROOT_MARKERS.some((m) => r.endsWith(`/${m}`)))
      .map((r) => r.slice(0, r.lastIndexOf('/')))
      .filter((dir) => !dir.split('/').some((p) => SKIP_DIRS.has(p)));
    if (homes.length > 0) {
      const depth = Math.min(...homes.map((h) => h.split('/').length));
      const shallowest = [...new Set(homes.filter((h) => h.split('/').length === depth))];
      if (shallowest.length === 1) {
        const home = shallowest[0];
        name = home.split('/').pop() ?? name;
        const sub = `${home}/`;
        paths = paths.filter((_, i) => rel[i].startsWith(sub));
        rel = rel.filter((r) => r.startsWith(sub)).map((r) => r.slice(sub.length));
        prefix = prefix + sub;
      }
    }
  }

  const keep: { from: string; to: string }[] = [];
  const skipped: string[] = [];
  rel.forEach((r, i) => {
    if (isModelFile(r)) keep.push({ from: paths[i], to: r });
    else skipped.push(r);
  });
  if (!keep.some((k) => k.to.endsWith('.safetensors'))) {
    const onnx = ONNX_WEIGHT_FILES.find((f) => rel.includes(f));
    if (onnx !== undefined) {
      keep.push({ from: paths[rel.indexOf(onnx)], to: onnx });
      skipped.splice(skipped.indexOf(onnx), 1);
    }
  }
  return { name, keep, skipped };
}

export interface PathedFile {
  readonly path: string;
  readonly file: Blob;
}

/** Reads the planned files into the worker's `files` source. */
export async function readModelFolder(files: readonly PathedFile[], fallbackName: string): Promise<{ source: ModelSource; skipped: readonly string[] }> {
  const plan = planModelFolder(files.map((f) => f.path), fallbackName);
  if (plan.keep.length === 0) throw new Error('no model files found (expected config.json, tokenizer.json and model.safetensors)');
  const byPath = new Map(files.map((f) => [normalise(f.path), f.file]));
  const out: Record<string, Uint8Array> = {};
  for (const { from, to } of plan.keep) {
    const blob = byPath.get(from);
    if (blob) out[to] = new Uint8Array(await blob.arrayBuffer());
  }
  return { source: { kind: 'files', name: plan.name, files: out }, skipped: plan.skipped };
}

/** Files from an `<input webkitdirectory>`: their `webkitRelativePath` starts with the folder name. */
export function inputFolderFiles(list: FileList): PathedFile[] {
  return Array.from(list, (file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** A single dropped or chosen .zip becomes a zip source; anything else is read as a folder. */
export function isZip(file: { name: string }): boolean {
  return file.name.toLowerCase().endsWith('.zip');
}

const DOCUMENT_PROMPT_KEYS = ['document', 'passage', 'corpus', 'doc', 'text'];

/**
 * The retrieval settings a model implies: its pooling, normalisation and include-prompt flag, and
 * templates from its prompts ("query: {text}") when it declares them; plain `{text}` otherwise.
 */
export function retrievalFromModel(info: ModelInfo): RetrievalSettings {
  const queryPrompt = info.prompts.query ?? '';
  const docKey = DOCUMENT_PROMPT_KEYS.find((k) => info.prompts[k] !== undefined);
  const docPrompt = docKey ? info.prompts[docKey] : '';
  return {
    pooling: info.pooling,
    normalize: info.normalize,
    includePrompt: info.includePrompt,
    queryTemplate: `${queryPrompt}{text}`,
    corpusTemplate: `${docPrompt}{text}`,
  };
}

/** Hub ids the studio is known to read (BERT-family encoders with safetensors weights; ONNX-only repos load too). */
export const HUB_SUGGESTIONS: readonly { id: string; note: string }[] = [
  { id: 'sentence-transformers/all-MiniLM-L6-v2', note: '6 layers, 384-d, English' },
  { id: 'sentence-transformers/all-MiniLM-L12-v2', note: '12 layers, 384-d, English' },
  { id: 'BAAI/bge-small-en-v1.5', note: '12 layers, 384-d, CLS pooling' },
  { id: 'intfloat/e5-small-v2', note: '12 layers, 384-d, "query: "/"passage: " prompts' },
  { id: 'thenlper/gte-small', note: '12 layers, 384-d' },
  { id: 'sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2', note: '50+ languages, 384-d' },
  { id: 'sentence-transformers/multi-qa-MiniLM-L6-cos-v1', note: 'trained for question answering' },
];

/** "org/name" with Hub-legal characters; returns a message when it is not. */
export function checkRepoId(id: string): string | null {
  const t = id.trim();
  if (!t) return 'enter a model id such as sentence-transformers/all-MiniLM-L6-v2';
  if (!/^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(t)) return `"${t}" is not a Hub model id (expected organisation/name)`;
  return null;
}
