import type { LoadedModel } from './load-model.ts';
import { modelCard, modelCardBasics, type ModelCardInfo, type TrainingInfo } from './model-card.ts';
import type { OnnxDtype } from './onnx/bert-onnx.ts';
import { cardHyperparameters, stLoss, type StudioRunDescription } from './st-training-args.ts';
import { onnxDtypes, sentenceTransformersFolder } from './st-export.ts';

/**
 * The one export the page (zip, Hub push) and the CLI (`export`, `train`) write: the
 * sentence-transformers folder, the ONNX files asked for, and the model card as README.md,
 * built from the same facts everywhere so a pushed repo and a downloaded zip say the same thing.
 */

/** What the card says beyond what the loaded model itself knows. */
export type CardDetails = Partial<Pick<ModelCardInfo, 'modelId' | 'baseModel' | 'language' | 'license' | 'exampleSentences' | 'training' | 'evaluation'>>;

export interface ModelExportOptions {
  /** Prompts for config_sentence_transformers.json (and the card); default: the model's own. */
  readonly prompts?: Readonly<Record<string, string>>;
  readonly defaultPromptName?: string | null;
  /** Which ONNX files to write (default all three: fp32, fp16, int8). */
  readonly onnx?: boolean | readonly OnnxDtype[];
  readonly card?: CardDetails;
}

export interface ModelExport {
  /** Folder-relative path → bytes; README.md is the model card. */
  readonly files: Map<string, Uint8Array>;
  readonly card: string;
}

export async function buildModelExport(loaded: LoadedModel, options: ModelExportOptions = {}): Promise<ModelExport> {
  const prompts = { ...(options.prompts ?? loaded.config.prompts) };
  const defaultPromptName = options.defaultPromptName === undefined ? loaded.config.defaultPromptName : options.defaultPromptName;
  const dtypes = onnxDtypes(options.onnx);
  const card = modelCard({ ...modelCardBasics(loaded), ...options.card, prompts, defaultPromptName, onnx: dtypes });
  const files = await sentenceTransformersFolder(loaded, { prompts, defaultPromptName, onnx: dtypes, modelCard: card });
  return { files, card };
}

/** The Training Details section of the card, from the run description and how it went. */
export function trainingCardInfo(
  run: StudioRunDescription,
  dataset: { readonly name?: string; readonly size: number; readonly evalSize?: number; readonly shape?: string },
  result: { readonly steps?: number; readonly seconds?: number; readonly finalLoss?: number; readonly hardware?: string } = {},
): TrainingInfo {
  const loss = stLoss(run.config);
  return {
    dataset: { ...dataset, columns: run.columns },
    loss: { name: loss.cardName, parameters: loss.cardName === loss.className ? loss.parameters : { ...loss.cardParameters, ...prefixed(loss.className, loss.parameters) } },
    hyperparameters: cardHyperparameters(run),
    epochs: run.config.maxSteps === undefined ? run.config.epochs : undefined,
    ...(result.steps !== undefined ? { steps: result.steps } : {}),
    ...(result.seconds !== undefined ? { durationSeconds: result.seconds } : {}),
    ...(result.finalLoss !== undefined && Number.isFinite(result.finalLoss) ? { finalLoss: result.finalLoss } : {}),
    ...(result.hardware ? { hardware: result.hardware } : {}),
  };
}

function prefixed(name: string, params: Readonly<Record<string, string | number | boolean | null>>): Record<string, string | number | boolean | null> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [`${name}.${k}`, v]));
}

/** Path and size of every exported file, in the order the Export panel lists them. */
export function exportFileList(files: ReadonlyMap<string, Uint8Array>): { readonly path: string; readonly bytes: number }[] {
  return [...files].map(([path, b]) => ({ path, bytes: b.byteLength }));
}
