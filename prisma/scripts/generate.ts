// Usage: npm run db:generate
// Runs the local `prisma generate`. The CLI insists on finding a schema-engine
// binary, which it cannot download here but never runs for generate, so any
// existing file satisfies it.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(import.meta.resolve("prisma/build/index.js"));
const { status, error } = spawnSync(process.execPath, [cli, "generate", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath },
});
if (error) console.error(`Could not run prisma generate: ${error.message}`);
process.exit(status ?? 1);
