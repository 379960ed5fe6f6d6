import { readEnvFile } from '../config.ts';
import { runCli } from './run.ts';

const code = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  environment: () => {
    readEnvFile();
    return process.env;
  },
});
process.exit(code);
