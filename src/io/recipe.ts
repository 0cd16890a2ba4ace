import type { IrEvalSet } from '../data/ir-dataset.ts';
import type { ShapeId, TrainingExample } from '../data/shape.ts';
import type { PoolingConfig } from '../model/st-config.ts';
import { pythonFloat, pythonLiteral, stRunMapping, type StudioRunDescription } from './st-training-args.ts';

/**
 * "Continue on GPUs": a small training project that reproduces a studio run with
 * sentence-transformers' SentenceTransformerTrainer on one or many GPUs — train.py, the data as
 * JSONL (the same train rows and the same retrieval eval set the studio used), pinned
 * requirements, an accelerate config, and a README saying what maps to what and what does not.
 */

/** Versions the recipe was written against (train.py uses gather_across_devices, new in sentence-transformers 5.1). */
export const RECIPE_REQUIREMENTS = [
  'sentence-transformers==5.1.1',
  'transformers==4.56.2',
  'torch==2.8.0',
  'accelerate==1.10.1',
  'datasets==4.1.1',
] as const;

export interface RecipeInput {
  /** Hub id (or a path) of the model the run started from. */
  readonly baseModel: string;
  readonly run: StudioRunDescription;
  readonly pooling: PoolingConfig;
  readonly normalize: boolean;
  /** The rows the studio trained on, texts in loss column order (run.columns). */
  readonly train: readonly TrainingExample[];
  /** The retrieval eval set the studio evaluated on (null: no retrieval evaluation). */
  readonly evalSet: IrEvalSet | null;
  /** Prompt prefixes (and suffixes) of the studio's query and document templates, for the evaluator and the saved model. */
  readonly templates: { readonly query: { prefix: string; suffix: string }; readonly document: { prefix: string; suffix: string } };
  /** The studio's own results, kept beside the recipe to compare with (losses per step, eval metrics). */
  readonly studio?: {
    readonly losses?: readonly { readonly step: number; readonly loss: number }[];
    readonly metrics?: Readonly<Record<string, number>>;
    readonly note?: string;
  };
  readonly studioVersion?: string;
}

/** Column names sentence-transformers users give each shape (labels go under "score", which its collator reads as the label). */
export function recipeColumns(shape: ShapeId, texts: number): string[] {
  switch (shape) {
    case 'pairs':
      return ['anchor', 'positive'];
    case 'triplets':
      return texts <= 3 ? ['anchor', 'positive', 'negative'] : ['anchor', 'positive', ...Array.from({ length: texts - 2 }, (_, i) => `negative_${i + 1}`)];
    case 'scored-pairs':
    case 'labeled-pairs':
      return ['sentence1', 'sentence2', 'score'];
    case 'labeled-texts':
      throw new Error('no loss trains on (text, label) rows; there is no run to hand on');
  }
}

const enc = new TextEncoder();
const q = (s: string) => JSON.stringify(s);

function pyDict(d: Readonly<Record<string, string>> | null): string {
  if (!d) return 'None';
  return `{${Object.entries(d).map(([k, v]) => `${q(k)}: ${q(v)}`).join(', ')}}`;
}

function trainJsonl(rows: readonly TrainingExample[], columns: readonly string[]): string {
  const textColumns = columns.filter((c) => c !== 'score');
  const lines = rows.map((row, r) => {
    if (row.texts.length !== textColumns.length) throw new Error(`row ${r} has ${row.texts.length} texts; the recipe's columns are ${textColumns.join(', ')}`);
    const obj: Record<string, string | number> = {};
    textColumns.forEach((c, i) => (obj[c] = row.texts[i]));
    if (columns.includes('score')) {
      if (row.label === undefined || !Number.isFinite(row.label)) throw new Error(`row ${r} has no score; ${columns.join(', ')} rows need one`);
      obj.score = row.label;
    }
    return JSON.stringify(obj);
  });
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** queries / corpus / relevant_docs keyed by id, as InformationRetrievalEvaluator takes them (suffixes appended as the studio evaluated). */
function evalJson(set: IrEvalSet, suffix: { query: string; document: string }): string {
  const queries: Record<string, string> = {};
  const corpus: Record<string, string> = {};
  const relevant: Record<string, string[]> = {};
  set.queries.forEach((text, i) => (queries[`q${i}`] = text + suffix.query));
  set.corpus.forEach((text, i) => (corpus[`d${i}`] = text + suffix.document));
  set.relevant.forEach((docs, i) => (relevant[`q${i}`] = [...docs].sort((a, b) => a - b).map((d) => `d${d}`)));
  return `${JSON.stringify({ queries, corpus, relevant_docs: relevant })}\n`;
}

function trainPy(input: RecipeInput): string {
  const { run } = input;
  const m = stRunMapping(run);
  const a = m.args;
  const num = (k: string) => pythonLiteral(a[k] ?? null);
  const modelPrompts: Record<string, string> = {};
  if (input.templates.query.prefix) modelPrompts.query = input.templates.query.prefix;
  if (input.templates.document.prefix) modelPrompts.document = input.templates.document.prefix;
  const evalEvery = run.evalEvery ?? 0;
  const saveEvery = run.checkpointEvery ?? 0;
  return `#!/usr/bin/env python3
"""Reproduces an Embedding Studio run with sentence-transformers' SentenceTransformerTrainer.

Generated by Embedding Studio ${input.studioVersion ?? '0.1.0'}; README.md says what maps to what.

  one GPU:  python train.py
  N GPUs:   accelerate launch --config_file accelerate_config.yaml --num_processes N train.py
            torchrun --nproc_per_node N train.py
"""

import argparse
import json
import os
from pathlib import Path

from datasets import load_dataset
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments, losses, models
from sentence_transformers.evaluation import InformationRetrievalEvaluator
from sentence_transformers.training_args import BatchSamplers

HERE = Path(__file__).resolve().parent

BASE_MODEL = ${q(input.baseModel)}
if (HERE / BASE_MODEL).is_dir():  # a model folder that travels with the recipe (one not on the Hub)
    BASE_MODEL = str(HERE / BASE_MODEL)
MAX_SEQ_LENGTH = ${run.maxSeqLength}
POOLING_MODE = ${q(input.pooling.mode)}
INCLUDE_PROMPT = ${input.pooling.includePrompt ? 'True' : 'False'}
NORMALIZE = ${input.normalize ? 'True' : 'False'}
# Loss inputs by position, as sentence-transformers reads them ("score" is the label column).
COLUMNS = [${run.columns.map(q).join(', ')}]
# Training prompts per column (the studio's query / document template prefixes).
TRAIN_PROMPTS = ${pyDict(m.prompts)}
# Saved with the model (config_sentence_transformers.json) and used by the evaluator.
MODEL_PROMPTS = ${pyDict(Object.keys(modelPrompts).length > 0 ? modelPrompts : null)}
EVAL_QUERY_PROMPT = ${input.templates.query.prefix ? q(input.templates.query.prefix) : 'None'}
EVAL_CORPUS_PROMPT = ${input.templates.document.prefix ? q(input.templates.document.prefix) : 'None'}
# The studio's batch size is the global one: train.py splits it over the GPUs.
GLOBAL_BATCH_SIZE = ${run.config.batchSize}
MAX_STEPS = ${num('max_steps')}
EVAL_STEPS = ${evalEvery}
SAVE_STEPS = ${saveEvery}
WORLD_SIZE = int(os.environ.get("WORLD_SIZE", "1"))


def parse_args():
    parser = argparse.ArgumentParser(description="Fine-tune " + BASE_MODEL + " as the Embedding Studio run did.")
    parser.add_argument("--output-dir", default=str(HERE / "output"), help="checkpoints, logs and the final model (output/final)")
    parser.add_argument("--max-steps", type=int, default=MAX_STEPS, help="stop after this many steps (-1: train for the epochs set)")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 mixed precision (the studio trains in float32)")
    parser.add_argument("--no-eval", action="store_true", help="skip the InformationRetrievalEvaluator")
    return parser.parse_args()


def build_model():
    transformer = models.Transformer(BASE_MODEL, max_seq_length=MAX_SEQ_LENGTH)
    pooling = models.Pooling(transformer.get_word_embedding_dimension(), pooling_mode=POOLING_MODE, include_prompt=INCLUDE_PROMPT)
    modules = [transformer, pooling]
    if NORMALIZE:
        modules.append(models.Normalize())
    return SentenceTransformer(modules=modules, prompts=MODEL_PROMPTS, similarity_fn_name="cosine")


def build_loss(model):
    return ${m.loss.python}


def load_train_dataset():
    dataset = load_dataset("json", data_files=str(HERE / "data" / "train.jsonl"), split="train")
    return dataset.select_columns(COLUMNS)


def load_evaluator():
    path = HERE / "data" / "eval.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return InformationRetrievalEvaluator(
        queries=data["queries"],
        corpus=data["corpus"],
        relevant_docs={qid: set(docs) for qid, docs in data["relevant_docs"].items()},
        name="eval",
        query_prompt=EVAL_QUERY_PROMPT,
        corpus_prompt=EVAL_CORPUS_PROMPT,
        show_progress_bar=False,
    )


def main():
    opts = parse_args()
    if GLOBAL_BATCH_SIZE % WORLD_SIZE != 0:
        raise SystemExit(
            f"the batch size {GLOBAL_BATCH_SIZE} does not split evenly over {WORLD_SIZE} GPUs: launch with a number of GPUs that divides it"
        )
    model = build_model()
    loss = build_loss(model)
    train_dataset = load_train_dataset()
    evaluator = None if opts.no_eval else load_evaluator()
    args = SentenceTransformerTrainingArguments(
        output_dir=opts.output_dir,
        num_train_epochs=${num('num_train_epochs')},
        max_steps=opts.max_steps,
        per_device_train_batch_size=GLOBAL_BATCH_SIZE // WORLD_SIZE,
        learning_rate=${pythonFloat(Number(a.learning_rate))},
        lr_scheduler_type=${num('lr_scheduler_type')},
        warmup_steps=${num('warmup_steps')},
        weight_decay=${pythonFloat(Number(a.weight_decay))},
        adam_beta1=${pythonFloat(Number(a.adam_beta1))},
        adam_beta2=${pythonFloat(Number(a.adam_beta2))},
        adam_epsilon=${pythonFloat(Number(a.adam_epsilon))},
        max_grad_norm=${pythonFloat(Number(a.max_grad_norm))},
        optim="adamw_torch",
        seed=${num('seed')},
        data_seed=${num('seed')},
        batch_sampler=BatchSamplers.BATCH_SAMPLER,
        prompts=TRAIN_PROMPTS,
        eval_strategy="steps" if evaluator is not None and EVAL_STEPS > 0 else "no",
        eval_steps=EVAL_STEPS if EVAL_STEPS > 0 else None,
        save_strategy="steps" if SAVE_STEPS > 0 else "no",
        save_steps=SAVE_STEPS if SAVE_STEPS > 0 else 500,
        logging_steps=1,
        report_to="none",
        bf16=opts.bf16,
    )
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=train_dataset, loss=loss, evaluator=evaluator)
    out = Path(opts.output_dir)
    before = evaluator(model) if evaluator is not None else None
    trainer.train()
    after = evaluator(model) if evaluator is not None else None
    if trainer.is_world_process_zero():
        out.mkdir(parents=True, exist_ok=True)
        steps = [{"step": e["step"], "loss": e["loss"]} for e in trainer.state.log_history if "loss" in e]
        (out / "losses.json").write_text(json.dumps(steps, indent=1) + "\\n", encoding="utf-8")
        if before is not None:
            (out / "eval.json").write_text(json.dumps({"before": before, "after": after}, indent=1) + "\\n", encoding="utf-8")
            print(json.dumps({"before": before, "after": after}))
        trainer.save_model(str(out / "final"))
        print(f"saved {out / 'final'}")


if __name__ == "__main__":
    main()
`;
}

const ACCELERATE_CONFIG = `# accelerate launch --config_file accelerate_config.yaml --num_processes N train.py
# One machine, all its GPUs, plain data parallelism (DDP). --num_processes on the command line wins.
compute_environment: LOCAL_MACHINE
distributed_type: MULTI_GPU
mixed_precision: 'no'
num_machines: 1
num_processes: 2
machine_rank: 0
gpu_ids: all
rdzv_backend: static
same_network: true
main_training_function: main
use_cpu: false
`;

function readme(input: RecipeInput): string {
  const m = stRunMapping(input.run);
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = input.train.length;
  const lines = [
    `# Continue on GPUs: ${input.baseModel} with sentence-transformers`,
    '',
    'This folder reproduces a run of Embedding Studio with sentence-transformers\' `SentenceTransformerTrainer`: the same base model,',
    'pooling, prompts, loss and its parameters, batch size, learning rate and schedule, Adam settings and seed, on the same',
    `training rows (${rows.toLocaleString('en-US')} in \`data/train.jsonl\`)${input.evalSet ? ` and the same retrieval eval set (${input.evalSet.queries.length} queries, ${input.evalSet.corpus.length} documents in \`data/eval.json\`, scored by \`InformationRetrievalEvaluator\`)` : ''}.`,
    '',
    '## Run it',
    '',
    '```sh',
    'python -m venv .venv && . .venv/bin/activate',
    'pip install -r requirements.txt',
    '',
    '# one GPU',
    'python train.py',
    '',
    '# N GPUs on one machine (either launcher; N must divide the batch size)',
    'accelerate launch --config_file accelerate_config.yaml --num_processes N train.py',
    'torchrun --nproc_per_node N train.py',
    '```',
    '',
    '`train.py --max-steps 2` is a quick check; `--bf16` trains in bfloat16 mixed precision (the studio trains in float32);',
    '`--output-dir DIR` moves the output. The trained model lands in `output/final` (load it with `SentenceTransformer("output/final")`),',
    'the loss of every step in `output/losses.json` and the metrics before and after training in `output/eval.json`.',
    `The batch size (${input.run.config.batchSize}) is the global one: on N GPUs each takes ${input.run.config.batchSize}/N rows per step,`,
    input.run.config.loss.id === 'mnrl' && input.run.config.miniBatchSize === undefined
      ? 'and MultipleNegativesRankingLoss gathers the other GPUs\' texts as negatives (`gather_across_devices`), so every anchor sees as many negatives as on one GPU.'
      : input.run.config.loss.id === 'mnrl'
        ? 'and CachedMultipleNegativesRankingLoss ranks each anchor among its own GPU\'s texts only: with N GPUs there are N times fewer in-batch negatives per anchor than in the studio.'
        : 'and the loss, which compares each row only with itself, is the same as on one GPU.',
    '',
    '## What maps to what',
    '',
    '| Studio | Value | sentence-transformers |',
    '|:--|:--|:--|',
    `| base model | ${cell(input.baseModel)} | \`models.Transformer(BASE_MODEL, max_seq_length=${input.run.maxSeqLength})\` |`,
    `| pooling | ${input.pooling.mode}${input.pooling.includePrompt ? '' : ', prompt tokens excluded'} | \`models.Pooling(pooling_mode="${input.pooling.mode}", include_prompt=${input.pooling.includePrompt ? 'True' : 'False'})\` |`,
    `| normalize | ${input.normalize ? 'yes' : 'no'} | ${input.normalize ? '`models.Normalize()` module' : 'no Normalize module'} |`,
    ...m.table.map((r) => `| ${cell(r.studio)} | ${cell(r.value)} | \`${cell(r.st)}\` |`),
    `| evaluation | ${input.evalSet ? 'retrieval on the eval split' : 'none (no retrieval eval set)'} | ${input.evalSet ? '`InformationRetrievalEvaluator` (MRR@10, NDCG@10, MAP@100, accuracy / precision / recall @1, 3, 5, 10)' : '—'} |`,
    '',
    '## No exact equivalent',
    '',
    ...m.notes.map((n) => `- ${n}`),
    '',
    '## Files',
    '',
    '- `train.py`: the training script (everything above is spelled out at its top).',
    '- `data/train.jsonl`: the training rows, one JSON object per line, columns in the order the loss reads them.',
    ...(input.evalSet ? ['- `data/eval.json`: queries, corpus and relevant documents of the eval split (the studio\'s, text for text).'] : []),
    '- `requirements.txt`: the versions this recipe was written and checked against.',
    '- `accelerate_config.yaml`: one machine, all its GPUs, data parallel.',
    '- `studio_run.json`: the studio run as it was configured, with its own losses and metrics to compare with.',
    '',
  ];
  return lines.join('\n');
}

export function buildRecipe(input: RecipeInput): Map<string, Uint8Array> {
  if (input.train.length === 0) throw new Error('the recipe needs training rows; the training split is empty');
  const files = new Map<string, Uint8Array>();
  files.set('train.py', enc.encode(trainPy(input)));
  files.set('data/train.jsonl', enc.encode(trainJsonl(input.train, input.run.columns)));
  if (input.evalSet && input.evalSet.queries.length > 0) {
    files.set('data/eval.json', enc.encode(evalJson(input.evalSet, { query: input.templates.query.suffix, document: input.templates.document.suffix })));
  }
  files.set('requirements.txt', enc.encode(`${RECIPE_REQUIREMENTS.join('\n')}\n`));
  files.set('accelerate_config.yaml', enc.encode(ACCELERATE_CONFIG));
  files.set('README.md', enc.encode(readme(input)));
  const studioRun = {
    embedding_studio: input.studioVersion ?? '0.1.0',
    base_model: input.baseModel,
    config: input.run.config,
    max_seq_length: input.run.maxSeqLength,
    pooling: input.pooling,
    normalize: input.normalize,
    templates: input.templates,
    ...(input.studio ?? {}),
  };
  files.set('studio_run.json', enc.encode(`${JSON.stringify(studioRun, null, 2)}\n`));
  return files;
}
