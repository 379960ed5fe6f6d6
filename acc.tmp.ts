import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
const env = { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/pf_bench', REDIS_URL: 'redis://127.0.0.1:6379', ADMIN_TOKEN: 'adhoc-admin-token-123456', PORT: '3999', QUEUE_PREFIX: 'adhoc' };
const api = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: 'inherit' });
await new Promise((r) => setTimeout(r, 3000));
const H = { authorization: 'Bearer adhoc-admin-token-123456', 'content-type': 'application/json' };
const j = async (p: string, b: unknown) => (await (await request(`http://127.0.0.1:3999/admin/v1${p}`, { method: 'POST', headers: H, body: JSON.stringify(b) })).body.json()) as any;
const t = await j('/tenants', { name: `adhoc-${Date.now()}`, mode: 'balance-only' });
await j(`/tenants/${t.id}/definitions`, { id: 1, name: 'P' });
const { key } = await j(`/tenants/${t.id}/api-keys`, { name: 'k' });
const ts = new Date().toISOString();
const bodies = Array.from({ length: 250 }, () => JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ contactId: randomUUID(), amount: i, definitionId: 1, timeStamp: ts }))));
const lat: number[] = []; const start = performance.now(); const inflight: Promise<void>[] = [];
for (let i = 0; i < bodies.length; i++) {
  const due = start + i * 20; const w = due - performance.now(); if (w > 0) await new Promise((r) => setTimeout(r, w));
  inflight.push(request('http://127.0.0.1:3999/api/v2/point-accounts/balances', { method: 'POST', headers: { apikey: key, 'content-type': 'application/json' }, body: bodies[i] }).then(async (r) => { await r.body.dump(); lat.push(performance.now() - due); }));
}
await Promise.all(inflight); lat.sort((a, b) => a - b);
console.log({ p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)], max: lat.at(-1) });
api.kill('SIGTERM');
