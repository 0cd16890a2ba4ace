#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the same sources serve the browser build and Node.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exit(await main(process.argv.slice(2)));
