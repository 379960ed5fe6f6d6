import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

const get = (url: string, accept?: string) => system.app.inject({ url, headers: accept === undefined ? {} : { accept } });

describe('the bare address', () => {
  it('GET / answers a page pointing at the contact card and the API documentation', async () => {
    const response = await get('/', '*/*');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    for (const href of ['/ui', '/ui/admin', '/documentation']) expect(response.body).toContain(`href="${href}"`);
  });

  it('GET /ui sends curl (Accept: */*) to the sign-in page, as it sends a browser', async () => {
    for (const accept of ['*/*', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8']) {
      const response = await get('/ui', accept);
      expect(response.statusCode, accept).toBe(303);
      expect(response.headers.location).toBe('/ui/login?next=%2Fui');
    }
    const operator = await get('/ui/admin', '*/*');
    expect(operator.statusCode).toBe(303);
    expect(operator.headers.location).toBe('/ui/admin/login?next=%2Fui%2Fadmin');
    const login = await get('/ui/login', '*/*');
    expect(login.statusCode).toBe(200);
    expect(login.body).toContain('<form');
  });

  it('scripts that ask for JSON, or send no Accept, still get 401 problem details', async () => {
    for (const accept of ['application/json', 'application/json, text/plain, */*', undefined]) {
      const response = await get('/ui', accept);
      expect(response.statusCode, String(accept)).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});
