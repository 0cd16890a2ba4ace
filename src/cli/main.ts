import { pathToFileURL } from 'node:url';
import { UsageError } from './args.ts';
import { ENCODE_USAGE, runEncode } from './commands/encode.ts';
import { EVAL_USAGE, runEval } from './commands/eval.ts';
import { EXPORT_USAGE, runExport } from './commands/export.ts';
import { MINE_USAGE, runMine } from './commands/mine.ts';
import { runTrain, TRAIN_USAGE } from './commands/train.ts';

const COMMANDS: Record<string, { usage: string; run: (argv: readonly string[]) => Promise<void> }> = {
  encode: { usage: ENCODE_USAGE, run: runEncode },
  train: { usage: TRAIN_USAGE, run: runTrain },
  eval: { usage: EVAL_USAGE, run: runEval },
  export: { usage: EXPORT_USAGE, run: runExport },
  mine: { usage: MINE_USAGE, run: runMine },
};

function usage(): string {
  return ['usage: embedding-studio <command> [options]', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n');
}

/** Runs one command; returns the process exit code (2 for usage and input errors). */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`error: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  if (rest.includes('--help')) {
    process.stdout.write(`usage: embedding-studio ${command.usage}\n`);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (e) {
    // Bad arguments and bad files are the user's to fix: one line, exit 2. Anything else is ours.
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: ${message.split('\n')[0]}\n`);
    return e instanceof UsageError || isInputError(e) ? 2 : 1;
  }
}

/** Errors raised while reading the user's model or data files (named by the loaders). */
function isInputError(e: unknown): boolean {
  return e instanceof Error && ['SafetensorsError', 'TokenizerConfigError', 'ModelConfigError'].includes(e.name);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
