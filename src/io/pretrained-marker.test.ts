import { describe, expect, it } from 'vitest';
import { builtinModelLabel, parsePretrainedMarker } from './pretrained-marker.ts';
import type { ModelFiles } from './load-model.ts';

const files = (stConfig: string | null): ModelFiles => ({
  name: 't',
  readText: async (p) => (p === 'config_sentence_transformers.json' ? stConfig : null),
  readBytes: async () => null,
});

describe('parsePretrainedMarker', () => {
  it('reads embedding_studio.pretrained and a positive suggested learning rate', () => {
    expect(parsePretrainedMarker('{"embedding_studio":{"pretrained":true,"suggested_learning_rate":5e-5}}')).toEqual({ pretrained: true, suggestedLearningRate: 5e-5 });
    expect(parsePretrainedMarker('{"embedding_studio":{"pretrained":false,"suggested_learning_rate":-1}}')).toEqual({ pretrained: false });
  });

  it('says nothing for folders that do not say (Hub models, old built-in), or for broken JSON', () => {
    expect(parsePretrainedMarker(null)).toBeNull();
    expect(parsePretrainedMarker('{"prompts":{}}')).toBeNull();
    expect(parsePretrainedMarker('{"embedding_studio":{"pretrained":"yes"}}')).toBeNull();
    expect(parsePretrainedMarker('{not json')).toBeNull();
  });
});

describe('builtinModelLabel', () => {
  it('names the built-in model by what its folder says, random weights when it says nothing', async () => {
    expect(await builtinModelLabel(files('{"embedding_studio":{"pretrained":true}}'))).toEqual({ name: 'built-in (pre-trained, en + zh)', randomWeights: false });
    expect(await builtinModelLabel(files(null))).toEqual({ name: 'built-in (random weights)', randomWeights: true });
  });
});
