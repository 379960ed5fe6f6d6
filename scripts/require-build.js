// Runs before `npm start` and `npm run worker`: without a build there is nothing to start,
// and Node's own answer to that is a stack trace.
import console from 'node:console';
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const entry = process.argv[2];
if (!existsSync(new URL(`../dist/${entry}.js`, import.meta.url))) {
  console.error(`dist/${entry}.js does not exist yet: run npm run build first.`);
  console.error('(npm run up builds when needed, migrates, and starts the API and the worker together.)');
  process.exit(1);
}
