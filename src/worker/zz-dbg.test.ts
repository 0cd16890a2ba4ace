import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { env, pipeline, AutoTokenizer } from '@huggingface/transformers';
import { loadTrainingJsonl } from '../data/load.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../io/folder-files.ts';
import { loadSentenceModel } from '../model/load-model.ts';
import { TINY_BERT_MODEL_DIR } from '../../test/support/tiny-bert.ts';
import path from 'node:path';
it('dbg', async () => {
  const m = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), new CpuBackend());
  const data = loadTrainingJsonl(readFileSync('public/samples/support-faq.jsonl', 'utf8'), { file: 'x.jsonl' });
  const texts = [...new Set(data.examples.flatMap((e) => e.texts))];
  env.allowRemoteModels = false; env.localModelPath = path.dirname(TINY_BERT_MODEL_DIR) + '/'; env.useFSCache = false;
  const tok = await AutoTokenizer.from_pretrained('model');
  let bad = 0;
  for (const t of texts) {
    const ours = m.model.tokenize([t]).batch;
    const theirs = tok(t, { truncation: true });
    const a = Array.from(ours.inputIds.slice(0, ours.seqLength)); const b = Array.from(theirs.input_ids.data as BigInt64Array, Number);
    if (a.join() !== b.join()) { bad++; if (bad < 4) console.log(t.slice(0, 80), '\n ours', a.join(' '), '\n them', b.join(' ')); }
  }
  console.log('mismatched tokenizations', bad, 'of', texts.length);
});
