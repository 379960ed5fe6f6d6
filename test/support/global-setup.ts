import { execFileSync } from 'node:child_process';
import { databaseUrl, TEMPLATE_DATABASE } from './env.ts';

/**
 * Migrates the template database once, with the same command operators run;
 * each test file then copies it (CREATE DATABASE ... TEMPLATE).
 */
export default function setup(): void {
  execFileSync('npm', ['run', '-s', 'db:migrate'], {
    env: { ...process.env, DATABASE_URL: databaseUrl(TEMPLATE_DATABASE) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
