/**
 * Builds the pre-training and held-out retrieval data for the built-in model from Debian's own
 * package descriptions, fetched by apt itself (no scraping, no third-party mirror):
 *
 *   apt-get update -o Dir::State::Lists=.cache/apt/lists -o Acquire::Languages=en,zh_CN,zh_TW
 *
 * into a private lists folder (so the machine's apt state is left alone), then read through
 * `apt-helper cat-file`, which undoes whatever compression the mirror served (.lz4, .xz, .gz).
 *
 * Pairs (anchor → positive), for MNRL with in-batch negatives:
 *   - short description (half of them prefixed with the package name) → long description;
 *   - Chinese short description → English long description, Chinese short → Chinese long,
 *     English short → Chinese short (cross-lingual alignment from Debian's DDTP translations).
 *
 * Held out: whole source packages chosen by a hash of their name (so a library and its -dev/-doc
 * siblings never straddle the split), ≥ 1,000 packages, plus any training pair whose text also
 * occurs in the held-out set. Dictionary packages (dict-*, wordnet*, gcide*, foldoc*, by binary
 * or source name) are excluded from everything: the project keeps dictionaries for independent
 * evaluation.
 *
 *   npm run pretrain:data [-- --no-update] [--out .cache/pretrain]
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PRETRAIN_DIR = path.join(ROOT, '.cache/pretrain');
const LISTS_DIR = path.join(ROOT, '.cache/apt/lists');

/** Names the data must never contain (binary or source package). */
export const EXCLUDED_NAME = /^(dict-|dictd|wordnet|gcide|foldoc)/;
/** Per-mille of source packages held out; Chinese-translated ones are scarce, so more of them. */
const HOLDOUT_PER_MILLE = 25;
const HOLDOUT_ZH_PER_MILLE = 250;
/** Long descriptions shorter than this say nothing a short one does not. */
const MIN_LONG_CHARS = 40;

export interface Pair {
  readonly anchor: string;
  readonly positive: string;
}

/** A retrieval set in the shape of sentence-transformers' InformationRetrievalEvaluator. */
export interface RetrievalSet {
  readonly name: string;
  readonly queries: { readonly id: string; readonly text: string }[];
  readonly corpus: { readonly id: string; readonly text: string }[];
  /** query id → the corpus ids relevant to it. */
  readonly relevant: Record<string, string[]>;
}

interface Stanza {
  readonly [field: string]: string;
}

/** Deb822 stanzas; continuation lines keep their leading space so descriptions can be parsed. */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  let cur: Record<string, string> = {};
  let field = '';
  for (const line of text.split('\n')) {
    if (line === '') {
      if (Object.keys(cur).length) out.push(cur);
      cur = {};
      field = '';
    } else if (line.startsWith(' ') || line.startsWith('\t')) {
      if (field) cur[field] += `\n${line}`;
    } else {
      const i = line.indexOf(':');
      if (i < 0) continue;
      field = line.slice(0, i);
      cur[field] = line.slice(i + 1).trim();
    }
  }
  if (Object.keys(cur).length) out.push(cur);
  return out;
}

/**
 * A Description field as (short, long): Debian policy 5.6.13 — the first line is the synopsis,
 * " ." lines break paragraphs, lines indented by two or more spaces are verbatim (kept as lines).
 */
export function parseDescription(field: string): { short: string; long: string } {
  const [first, ...rest] = field.split('\n');
  const paras: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) paras.push(para.join(' ').replace(/\s+/g, ' ').trim());
    para = [];
  };
  for (const raw of rest) {
    const line = raw.slice(1);
    if (line.trim() === '.') flush();
    else para.push(line.trim());
  }
  flush();
  return { short: first.trim(), long: paras.filter(Boolean).join('\n') };
}

/** FNV-1a, so the split is a pure function of the source name, stable across runs and machines. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function listFiles(pattern: RegExp): string[] {
  return readdirSync(LISTS_DIR).filter((f) => pattern.test(f)).sort().map((f) => path.join(LISTS_DIR, f));
}

/** apt-helper cat-file decompresses by extension, as apt itself reads its lists. */
function catFile(file: string): string {
  return execFileSync('/usr/lib/apt/apt-helper', ['cat-file', file], { maxBuffer: 1 << 30, encoding: 'utf8' });
}

interface Pkg {
  name: string;
  source: string;
  version: string;
  md5: string;
  en?: { short: string; long: string };
  zh?: { short: string; long: string; lang: string };
}

interface ReleaseInfo {
  readonly file: string;
  readonly origin: string;
  readonly suite: string;
  readonly codename: string;
  readonly version: string;
  readonly date: string;
}

function releaseInfo(file: string): ReleaseInfo {
  const text = readFileSync(file, 'utf8');
  const get = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(text)?.[1] ?? '';
  return { file: path.basename(file), origin: get('Origin'), suite: get('Suite'), codename: get('Codename'), version: get('Version'), date: get('Date') };
}

export interface BuiltData {
  readonly train: Pair[];
  /** Stage 2: the same pairs plus the cross-lingual ones the other ways round, reshuffled. */
  readonly stage2: Pair[];
  readonly heldoutEn: RetrievalSet;
  readonly heldoutZh: RetrievalSet;
  readonly manifest: Record<string, unknown>;
}

export function buildData(): BuiltData {
  const pkgs = new Map<string, Pkg>();
  let excluded = 0;
  // Later suites (updates, security) override bookworm's stanza for the same package.
  for (const file of listFiles(/_Packages(\.\w+)?$/).sort((a, b) => Number(a.includes('bookworm_main')) - Number(b.includes('bookworm_main')) || a.localeCompare(b)).reverse()) {
    for (const s of parseStanzas(catFile(file))) {
      const name = s.Package;
      const source = (s.Source ?? name).split(' ')[0];
      if (!name) continue;
      if (EXCLUDED_NAME.test(name) || EXCLUDED_NAME.test(source)) {
        excluded++;
        continue;
      }
      pkgs.set(name, { name, source, version: s.Version ?? '', md5: s['Description-md5'] ?? '' });
    }
  }
  // Translation files are keyed by (package, Description-md5): a translation only counts when it
  // is of the description the package has now.
  for (const file of listFiles(/_Translation-en(\.\w+)?$/)) {
    for (const s of parseStanzas(catFile(file))) {
      const p = pkgs.get(s.Package);
      if (p && s['Description-en'] && (s['Description-md5'] === p.md5 || !p.en)) p.en = parseDescription(s['Description-en']);
    }
  }
  for (const [lang, re] of [['zh_CN', /_Translation-zh%5fCN(\.\w+)?$/], ['zh_TW', /_Translation-zh%5fTW(\.\w+)?$/]] as const) {
    for (const file of listFiles(re)) {
      for (const s of parseStanzas(catFile(file))) {
        const p = pkgs.get(s.Package);
        const d = s[`Description-${lang}`];
        if (p && d && s['Description-md5'] === p.md5 && !p.zh) p.zh = { ...parseDescription(d), lang };
      }
    }
  }

  const usable = [...pkgs.values()].filter((p) => p.en && p.en.long.length >= MIN_LONG_CHARS).sort((a, b) => (a.name < b.name ? -1 : 1));
  const zhSources = new Set(usable.filter((p) => p.zh).map((p) => p.source));
  const heldOut = (p: Pkg) => fnv1a(p.source) % 1000 < (zhSources.has(p.source) ? HOLDOUT_ZH_PER_MILLE : HOLDOUT_PER_MILLE);

  // Held-out retrieval set: one document per distinct long description; a query whose short
  // description is shared by two documents is ambiguous and dropped.
  const held = usable.filter(heldOut);
  const docByText = new Map<string, Pkg>();
  for (const p of held) if (!docByText.has(p.en!.long)) docByText.set(p.en!.long, p);
  const docs = [...docByText.values()];
  const shortCount = new Map<string, number>();
  for (const p of docs) shortCount.set(p.en!.short.toLowerCase(), (shortCount.get(p.en!.short.toLowerCase()) ?? 0) + 1);
  const corpus = docs.map((p) => ({ id: p.name, text: p.en!.long }));
  const enQueries = docs.filter((p) => shortCount.get(p.en!.short.toLowerCase()) === 1).map((p) => ({ id: p.name, text: p.en!.short }));
  const zhShortCount = new Map<string, number>();
  for (const p of docs) if (p.zh) zhShortCount.set(p.zh.short, (zhShortCount.get(p.zh.short) ?? 0) + 1);
  const zhQueries = docs.filter((p) => p.zh && zhShortCount.get(p.zh.short) === 1).map((p) => ({ id: p.name, text: p.zh!.short }));
  const heldoutEn: RetrievalSet = { name: 'debian-heldout-en', queries: enQueries, corpus, relevant: Object.fromEntries(enQueries.map((q) => [q.id, [q.id]])) };
  const heldoutZh: RetrievalSet = { name: 'debian-heldout-zh2en', queries: zhQueries, corpus, relevant: Object.fromEntries(zhQueries.map((q) => [q.id, [q.id]])) };

  // Training text must not contain any held-out text (siblings in other sources can share it).
  const heldTexts = new Set<string>();
  for (const p of held) {
    heldTexts.add(p.en!.short.toLowerCase()).add(p.en!.long);
    if (p.zh) heldTexts.add(p.zh.short).add(p.zh.long);
  }
  const train: Pair[] = [];
  const seenLong = new Set<string>();
  let zhPairs = 0;
  let trainPkgs = 0;
  const crossExtra: Pair[] = [];
  for (const p of usable) {
    if (heldOut(p) || heldTexts.has(p.en!.long) || heldTexts.has(p.en!.short.toLowerCase())) continue;
    // Siblings often share a long description; one pair per text keeps in-batch negatives honest.
    if (seenLong.has(p.en!.long)) continue;
    seenLong.add(p.en!.long);
    trainPkgs++;
    const withName = fnv1a(p.name) % 2 === 0;
    train.push({ anchor: withName ? `${p.name}: ${p.en!.short}` : p.en!.short, positive: p.en!.long });
    const zh = p.zh;
    if (zh && zh.long && !heldTexts.has(zh.short) && !heldTexts.has(zh.long)) {
      train.push({ anchor: zh.short, positive: p.en!.long }, { anchor: zh.short, positive: zh.long }, { anchor: p.en!.short, positive: zh.short });
      // Stage 2 sees the translations once more, paired the other ways round (the loader drops repeats).
      crossExtra.push({ anchor: zh.long, positive: p.en!.long }, { anchor: p.en!.short, positive: zh.long }, { anchor: zh.short, positive: p.en!.short });
    }
  }
  // The loader skips empty fields and repeated pairs; dropping them here keeps the file honest.
  const seenPair = new Set<string>();
  const kept = train.filter((t) => {
    const k = `${t.anchor}\u0000${t.positive}`;
    if (!t.anchor.trim() || !t.positive.trim() || seenPair.has(k)) return false;
    seenPair.add(k);
    return true;
  });
  train.length = 0;
  train.push(...kept);
  const stage2 = [...train, ...crossExtra.filter((t) => {
    const k = `${t.anchor}\u0000${t.positive}`;
    if (!t.anchor.trim() || !t.positive.trim() || seenPair.has(k)) return false;
    seenPair.add(k);
    return true;
  })].sort((a, b) => fnv1a(`2${a.anchor}${a.positive}`) - fnv1a(`2${b.anchor}${b.positive}`));
  const cjk = /[\u3400-\u9fff]/u;
  zhPairs = train.filter((t) => cjk.test(t.anchor) || cjk.test(t.positive)).length;
  // Deterministic shuffle so a file prefix is already a mixed sample (the trainer shuffles too).
  train.sort((a, b) => fnv1a(a.anchor + a.positive) - fnv1a(b.anchor + b.positive));

  const releases = listFiles(/_InRelease$/).map(releaseInfo);
  const manifest: Record<string, unknown> = {
    name: 'embedding-studio-debian-descriptions',
    builtBy: 'scripts/pretrain-data.ts',
    sources: {
      how: 'apt-get update -o Acquire::Languages=en,zh_CN,zh_TW into a private lists folder; lists read with apt-helper cat-file',
      mirror: 'http://deb.debian.org/debian, http://deb.debian.org/debian-security (main)',
      files: listFiles(/_(Packages|Translation-[^.]+)(\.\w+)?$/).map((f) => path.basename(f)),
      releases,
    },
    licence:
      "Package descriptions are part of the Debian archive's metadata (Packages and Translation index files, the latter from the Debian Description Translation Project), " +
      'published by Debian for anyone to download and redistribute; each description is written by the package maintainer and is distributed with the package under its licence, ' +
      'all of which meet the Debian Free Software Guidelines (main component only). Only descriptions are used, no package contents.',
    excluded: { rule: EXCLUDED_NAME.source, why: 'dictionary packages are kept for independent evaluation', binaryPackagesDropped: excluded },
    counts: {
      binaryPackages: pkgs.size,
      withEnglishLongDescription: usable.length,
      withChineseTranslation: usable.filter((p) => p.zh).length,
      heldOutPackages: held.length,
      heldOutSources: new Set(held.map((p) => p.source)).size,
      heldOutCorpus: corpus.length,
      heldOutQueriesEn: enQueries.length,
      heldOutQueriesZh: zhQueries.length,
      trainPackages: trainPkgs,
      trainPairs: train.length,
      trainPairsCrossLingual: zhPairs,
      stage2Pairs: stage2.length,
    },
    split: `source package held out when fnv1a(source) % 1000 < ${HOLDOUT_PER_MILLE} (${HOLDOUT_ZH_PER_MILLE} for sources with a Chinese translation); training pairs sharing any held-out text dropped`,
  };
  return { train, stage2, heldoutEn, heldoutZh, manifest };
}

function main(): void {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 ? path.resolve(args[outIdx + 1]) : PRETRAIN_DIR;
  if (!args.includes('--no-update')) {
    mkdirSync(path.join(LISTS_DIR, 'partial'), { recursive: true });
    execFileSync('apt-get', ['update', '-q', '-o', `Dir::State::Lists=${LISTS_DIR}`, '-o', 'Acquire::Languages=en,zh_CN,zh_TW'], { stdio: 'inherit' });
  }
  const { train, stage2, heldoutEn, heldoutZh, manifest } = buildData();
  mkdirSync(out, { recursive: true });
  const trainText = train.map((p) => JSON.stringify(p)).join('\n') + '\n';
  writeFileSync(path.join(out, 'train.jsonl'), trainText);
  // Which exact file a model was trained on: the same lists give the same bytes.
  manifest.trainJsonlSha256 = createHash('sha256').update(trainText).digest('hex');
  const stage2Text = stage2.map((p) => JSON.stringify(p)).join('\n') + '\n';
  writeFileSync(path.join(out, 'train-stage2.jsonl'), stage2Text);
  manifest.stage2JsonlSha256 = createHash('sha256').update(stage2Text).digest('hex');
  writeFileSync(path.join(out, 'heldout-en.json'), JSON.stringify(heldoutEn));
  writeFileSync(path.join(out, 'heldout-zh.json'), JSON.stringify(heldoutZh));
  writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(JSON.stringify(manifest.counts));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
