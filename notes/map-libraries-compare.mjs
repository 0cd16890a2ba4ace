// Known clustered set: 6 Gaussian clusters x 50 points in 64-D (seeded), plus a hard variant where
// clusters are close. Score 2-D maps by 5-NN label accuracy (leave-one-out) and silhouette.
import { TSNE as KTSNE } from '@keckelt/tsne';
import TSNEJS from 'tsne-js';
import * as druid from '@saehrimnir/druidjs';
import { PCA as MLPCA } from 'ml-pca';
import pcajsMod from 'pca-js'; const pcajs = pcajsMod;
let s = 12345; const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
function make(k, per, D, spread) {
  const X = [], y = [];
  for (let c = 0; c < k; c++) { const mu = Array.from({ length: D }, () => gauss() * spread);
    for (let i = 0; i < per; i++) { X.push(mu.map((m) => m + gauss())); y.push(c); } }
  return { X, y };
}
function knnAcc(Y, y, k = 5) { let ok = 0; for (let i = 0; i < Y.length; i++) { const d = Y.map((p, j) => [j === i ? Infinity : (p[0]-Y[i][0])**2 + (p[1]-Y[i][1])**2, y[j]]).sort((a,b)=>a[0]-b[0]).slice(0,k); const votes = {}; d.forEach(([,l]) => votes[l]=(votes[l]||0)+1); const best = +Object.entries(votes).sort((a,b)=>b[1]-a[1])[0][0]; if (best===y[i]) ok++; } return ok / Y.length; }
function silhouette(Y, y) { let tot = 0; for (let i = 0; i < Y.length; i++) { const sums = {}, cnt = {}; for (let j = 0; j < Y.length; j++) { if (i===j) continue; const d = Math.hypot(Y[i][0]-Y[j][0], Y[i][1]-Y[j][1]); sums[y[j]]=(sums[y[j]]||0)+d; cnt[y[j]]=(cnt[y[j]]||0)+1; } const a = sums[y[i]]/cnt[y[i]]; let b = Infinity; for (const l in sums) if (+l!==y[i]) b = Math.min(b, sums[l]/cnt[l]); tot += (b-a)/Math.max(a,b); } return tot / Y.length; }
const cands = {
  'tsne @keckelt/tsne': (X) => { const t = new KTSNE({ perplexity: 30, epsilon: 10, dim: 2 }); t.initDataRaw(X); for (let i = 0; i < 500; i++) t.step(); return t.getSolution(); },
  'tsne tsne-js': (X) => { const m = new TSNEJS({ dim: 2, perplexity: 30, earlyExaggeration: 4, learningRate: 100, nIter: 500, metric: 'euclidean' }); m.init({ data: X, type: 'dense' }); m.run(); return m.getOutputScaled(); },
  'tsne druidjs': (X) => { const t = new druid.TSNE(X, { perplexity: 30, epsilon: 10, d: 2, seed: 42 }); return t.transform(500); },
  'pca ml-pca': (X) => new MLPCA(X).predict(X, { nComponents: 2 }).to2DArray(),
  'pca pca-js': (X) => { const ev = pcajs.getEigenVectors(X).slice(0, 2); const mean = X[0].map((_, j) => X.reduce((a, r) => a + r[j], 0) / X.length); return X.map((r) => ev.map((e) => e.eigenvector.reduce((a, v, j) => a + v * (r[j] - mean[j]), 0))); },
  'pca druidjs': (X) => druid.PCA.transform(X, { d: 2 }),
};
for (const [label, spread] of [['separated (spread 4)', 4], ['close (spread 0.6)', 0.6]]) {
  const { X, y } = make(6, 50, 64, spread);
  console.log(`\n${label}: 300 points, 64-D, 6 clusters`);
  for (const [name, f] of Object.entries(cands)) {
    try { const t0 = performance.now(); let Y = f(X); if (Y.to2DArray) Y = Y.to2DArray(); Y = Array.from(Y, (r) => Array.from(r)); const ms = performance.now() - t0;
      console.log(`${name.padEnd(22)} knn5=${knnAcc(Y, y).toFixed(3)} silhouette=${silhouette(Y, y).toFixed(3)} ${ms.toFixed(0)} ms`);
    } catch (e) { console.log(name, 'FAILED', e.message); }
  }
}
