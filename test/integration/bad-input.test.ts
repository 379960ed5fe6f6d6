import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { fillRoute, listRoutes, openApiPath, routeParams } from '../support/routes.ts';
import { ADMIN_TOKEN, adminPost, createTenant, startSystem } from '../support/system.ts';
import { logRowChanges } from '../support/tables.ts';
import { createUiUser, signIn, signInAdmin } from '../support/ui.ts';

/**
 * Generated malformed input against every route the app registers, with valid
 * credentials so it reaches validation: the answer is never a 5xx, every
 * refusal of the JSON APIs is problem+json, a refused request changes nothing
 * in the database, and everything the API accepts can be applied by the worker.
 * Browser pages under /ui (signed in, with the CSRF token) may refuse with an
 * HTML page instead, and the queue dashboard's own API with its JSON. Besides
 * the generated requests, a fixed sweep puts non-finite numbers, NUL and lone
 * surrogates in every field of every endpoint (path, query, body, and the
 * fields of the UI's forms), one field at a time, to the same rules.
 */

// No rate limit, so every generated request reaches validation; one job attempt, so a batch that cannot be applied fails at once.
// The docs list the operator routes too, so every route is generated from them.
const system = await startSystem({ RATE_LIMIT_PER_SECOND: '0', JOB_ATTEMPTS: '1', DOCS_INCLUDE_ADMIN: 'true' });
afterAll(() => system.close());
const { app } = system;
// "Nothing stored" is checked against a test-only trigger's log of written rows.
const rowChanges = await logRowChanges(system.runtime.pool);

const routes = listRoutes(app);
const doc = (await app.inject({ url: '/documentation/json' })).json<OpenApiDoc>();

const balanceTenant = await createTenant(app, { mode: 'balance-only', definitions: [1, 2] });
const ledgerTenant = await createTenant(app, { mode: 'all-transaction', definitions: [1, 2] });
// Admin routes get a tenant of their own: a generated PATCH may switch its point system off.
const adminTenant = await createTenant(app);
await adminPost(app, `/tenants/${adminTenant.id}/contacts`, { contactIds: [randomUUID()] }).catch(() => undefined);

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
const uiUser = await createUiUser(app, ledgerTenant.id);

/** A fresh browser session (cookie and CSRF header) for a /ui route: the operator's under /ui/admin, a contact card user's elsewhere. */
async function uiHeaders(url: string): Promise<Record<string, string>> {
  const session = url.startsWith('/ui/admin')
    ? await signInAdmin(app, ADMIN_TOKEN)
    : await signIn(app, { tenant: ledgerTenant.name, username: uiUser.username, password: uiUser.password });
  return { cookie: session.cookie, 'x-csrf-token': session.csrf };
}

// A refused sign-in is recorded on purpose (login throttling): these routes write even when they refuse.
const writesWhenRefused = (url: string) => /\/login$/.test(url);
// Fewer runs for the browser pages and the third-party queue dashboard, so the whole file stays well under a minute.
const NUM_RUNS = Number(process.env.BAD_INPUT_RUNS ?? 60);
const runsFor = (url: string) => (url.startsWith('/ui') ? Math.ceil(NUM_RUNS / 3) : NUM_RUNS);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  minItems?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
  components: { schemas: Record<string, JsonSchema> };
}

// Values that break careless code: control characters, lone surrogates, huge and
// fractional numbers, dates Postgres cannot store, injection-looking text.
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '𝒳',
  'x'.repeat(5000),
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '../../etc/passwd',
  '%00',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  '0x10',
  ' 1',
  '00000000-0000-0000-0000-000000000000',
  '00000000-0000-0000-0000-00000000000G',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-23:59',
  '2024-02-30T00:00:00Z',
  '2024-01-01T00:00:00',
  '2024-01-01',
  '+275760-09-13T00:00:00Z',
  'true',
  'null',
  '{}',
  '[]',
  '__proto__',
];
/** Numbers JSON can write but a double cannot hold (1e400 parses as Infinity): carried as marked strings, written raw into the body. */
const NON_FINITE = ['1e400', '-1e999', '1E309'].map((text) => `@@raw:${text}@@`);
const unraw = (text: string) => text.replace(/"?@@raw:([^@]+)@@"?/g, '$1');
const asText = (value: unknown) => unraw(typeof value === 'string' ? value : String(JSON.stringify(value)));
const NASTY_NUMBERS = [0, -0, -1, 1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, Number.MIN_VALUE];
const BOUNDARY_DATES = [
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '0001-01-01T00:00:00+01:00',
  '9999-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59-23:59',
  '1970-01-01T00:00:00Z',
  '2024-02-29T12:00:00+14:00',
];

const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...NASTY_STRINGS, ...NASTY_NUMBERS, null, true, false, [], {}, [null]),
  fc.constantFrom<unknown>(...NON_FINITE, '\u0000', 'a\u0000b', '\ud800', 'x\udfffy'),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);

const knownIds = [balanceTenant.id, ledgerTenant.id, adminTenant.id, '00000000-0000-0000-0000-000000000001'];
const inputSchemas = Object.entries(doc.components.schemas)
  .filter(([name]) => name.endsWith('Input'))
  .map(([, schema]) => schema);

function resolve(ref: string): JsonSchema {
  const schema = doc.components.schemas[ref.replace('#/components/schemas/', '')];
  if (!schema) throw new Error(`unknown schema ${ref}`);
  return schema;
}

/** A value the schema allows, boundary values of each type included (empty and control-character text, extreme integers and dates). */
function validFor(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) return validFor(resolve(schema.$ref), depth);
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return fc.oneof(...options.map((option) => validFor(option, depth)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const model = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => [key, validFor(value, depth + 1)]));
      return fc.record(model, { requiredKeys: schema.required?.filter((key) => key in model) ?? [] });
    }
    case 'array':
      return fc.array(validFor(schema.items ?? {}, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, 4) });
    case 'string':
      if (schema.format === 'uuid') return fc.oneof(fc.uuid(), fc.constantFrom(...knownIds));
      if (schema.format === 'date-time') {
        return fc.oneof(
          fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
          fc.constantFrom(...BOUNDARY_DATES),
        );
      }
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern), { maxLength: 30 });
      return fc.oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
        fc.constantFrom('Purchase', 'x', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', ' '),
      );
    case 'integer': {
      const min = Math.max(schema.minimum ?? (schema.exclusiveMinimum ?? Number.MIN_SAFE_INTEGER - 1) + 1, Number.MIN_SAFE_INTEGER);
      const max = Math.min(schema.maximum ?? (schema.exclusiveMaximum ?? Number.MAX_SAFE_INTEGER + 1) - 1, Number.MAX_SAFE_INTEGER);
      return fc.oneof(
        fc.integer({ min: Math.max(min, -3), max: Math.max(Math.min(max, 3), Math.max(min, -3)) }),
        fc.constantFrom(min, max),
        fc.integer({ min, max }),
      );
    }
    case 'number':
      return fc.oneof(fc.integer({ min: 1, max: 3 }), fc.double());
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      // No schema (rows checked one by one): any input shape the API knows, or any JSON.
      return depth < 2 && inputSchemas.length > 0
        ? fc.oneof(...inputSchemas.map((s) => validFor(s, depth + 1)), fc.jsonValue({ maxDepth: 2 }))
        : fc.jsonValue({ maxDepth: 1 });
  }
}

type Mutation = { at: number; how: 'replace' | 'delete' | 'add'; value: unknown; key: string };

const mutations = fc.array(
  fc.record({
    at: fc.nat(),
    how: fc.constantFrom<Mutation['how']>('replace', 'delete', 'add'),
    value: nasty,
    key: fc.constantFrom('extra', '__proto__', 'constructor', 'id', ''),
  }),
  { minLength: 1, maxLength: 2 },
);

/** Every container in a value (objects and arrays), parents first. */
function containers(value: unknown, found: (object | unknown[])[] = []): (object | unknown[])[] {
  if (value !== null && typeof value === 'object') {
    found.push(value);
    for (const child of Object.values(value)) containers(child, found);
  }
  return found;
}

/** A valid value with one or two of its fields replaced by nasty values, deleted, or joined by an unexpected one. */
function mutate(value: unknown, changes: Mutation[]): unknown {
  const copy: unknown = structuredClone(value);
  for (const change of changes) {
    const targets = containers(copy);
    if (targets.length === 0) return change.value;
    const target = targets[change.at % targets.length] as Record<string, unknown>;
    const keys = Object.keys(target);
    const key = keys.length > 0 ? keys[change.at % keys.length]! : change.key;
    if (change.how === 'delete') delete target[key];
    else if (change.how === 'add') Object.defineProperty(target, change.key, { value: change.value, enumerable: true, configurable: true, writable: true });
    else target[key] = change.value;
  }
  return copy;
}

/** Mostly valid, often valid but for a field or two, sometimes anything at all. */
function almostValid(schema: JsonSchema): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 2, arbitrary: validFor(schema) },
    { weight: 5, arbitrary: fc.tuple(validFor(schema), mutations).map(([value, changes]) => mutate(value, changes)) },
    { weight: 1, arbitrary: nasty },
  );
}

type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string } | { kind: 'form'; text: string };

// The HTML forms' fields (card, sign-in, operator pages) with values they accept, one or two then made nasty: a form post as a browser sends it.
const FORM_FIELDS = { definitionId: '1', direction: 'give', amount: '5', description: 'Complaint', name: 'f-1', mode: 'balance-only', username: 'ann' };
const formBody = fc
  .tuple(
    fc.subarray(Object.keys(FORM_FIELDS), { minLength: 1 }),
    fc.array(fc.tuple(fc.constantFrom(...Object.keys(FORM_FIELDS), 'password', 'displayName', 'tenant'), nasty.map(asText)), { minLength: 1, maxLength: 2 }),
  )
  .map(([names, nastyFields]): Body => {
    const fields = new URLSearchParams(names.map((name): [string, string] => [name, FORM_FIELDS[name as keyof typeof FORM_FIELDS]]));
    for (const [name, value] of nastyFields) fields.set(name, value);
    return { kind: 'form', text: fields.toString() };
  });

const RAW_BODIES = [
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  `${'['.repeat(3000)}${']'.repeat(3000)}`,
  '{"a":1,"a":2}',
  '[1,]',
  'null',
  '"x"',
  '1e999',
  '[{"contactId":"\\u0000"}]',
  '\uFEFF[]',
  '',
];

function bodyFor(schema: JsonSchema | undefined): fc.Arbitrary<Body> {
  return fc.oneof(
    { weight: 6, arbitrary: almostValid(schema ?? {}).map((value): Body => ({ kind: 'json', value })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value): Body => ({ kind: 'json', value })) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((text): Body => ({ kind: 'raw', text })) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((text): Body => ({ kind: 'raw', text })) },
    { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
    { weight: 2, arbitrary: formBody },
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/problem+json',
  'application/jsonx',
  ';;;',
  'application/json; x',
];
const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });

const extraHeaders = fc.record(
  {
    'idempotency-key': fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,20}$/), printable, fc.constant('k'.repeat(300))),
    'x-request-id': printable,
    accept: fc.constantFrom('*/*', 'application/xml', 'text/html', 'application/json'),
    'content-encoding': fc.constantFrom('gzip', 'identity', 'br'),
    origin: fc.constantFrom('https://evil.example', 'null'),
  },
  { requiredKeys: [] },
);

type Parameter = { in: string; name: string; schema?: JsonSchema };

const queryValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0', '1', '2', '100', '1000', '1001', 'All', 'Active', 'Pending', ...knownIds),
  fc.uuid(),
  nasty.map(asText),
);

/** A query string: the operation's own parameters with valid values, then a parameter or two changed, dropped or added. */
function queryFor(parameters: Parameter[]): fc.Arbitrary<string> {
  const own = parameters.filter((p) => p.in === 'query');
  const model = Object.fromEntries(own.map((p) => [p.name, validFor(p.schema ?? {}).map(String)]));
  const valid = fc.record(model, { requiredKeys: [] });
  const extra = fc.array(fc.tuple(fc.constantFrom(...own.map((p) => p.name), 'offset', '__proto__', 'a[b]', ''), queryValue), { maxLength: 3 });
  return fc.tuple(valid, extra, fc.boolean()).map(([values, added, replace]) => {
    const params = new URLSearchParams(values as Record<string, string>);
    for (const [name, value] of added) {
      if (replace) params.set(name, value);
      else params.append(name, value);
    }
    return params.toString();
  });
}

/** A path parameter: valid for its schema, or something else. */
const paramValue = (parameter: Parameter | undefined) =>
  fc.oneof(
    { weight: 4, arbitrary: validFor(parameter?.schema ?? { type: 'string' }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom('1', '0', '-1', '2147483648', '9007199254740993', '1e3', ' 1', '1.5') },
    { weight: 2, arbitrary: nasty.map(asText) },
  );
// Percent-encoding that does not decode: sent as is.
const brokenPathSegment = fc.constantFrom('%', '%E0%A4%A', '%zz', '%C0%AF', '..', '%2e%2e');

function credentialsFor(url: string, tenantPick: boolean, ui: Record<string, string> = {}): Record<string, string> {
  if (url.startsWith('/ui')) return ui;
  if (url.startsWith('/admin/')) return adminHeaders;
  if (url.startsWith('/api/')) return tenantPick ? balanceTenant.headers : ledgerTenant.headers;
  return {};
}

function expectProblem(response: LightMyRequestResponse, context: string, url = '') {
  expect(response.statusCode, context).toBeLessThan(500);
  if (response.statusCode < 400) return;
  if (url.startsWith('/ui')) {
    const contentType = String(response.headers['content-type']);
    if (!contentType.startsWith('application/problem+json')) {
      expect(contentType, context).toMatch(url.startsWith('/ui/admin/queues') ? /^(text\/html|application\/json)/ : /^text\/html/);
      return;
    }
  }
  expect(response.headers['content-type'], context).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body, context).toMatchObject({ type: expect.any(String), title: expect.any(String), status: response.statusCode, detail: expect.any(String) });
}

describe('generated bad input against every route', () => {
  it('finds the tenant and admin routes, so the properties below cover them', () => {
    expect(routes.filter((r) => r.url.startsWith('/api/v2')).length).toBeGreaterThanOrEqual(9);
    expect(routes.filter((r) => r.url.startsWith('/admin/v1')).length).toBeGreaterThanOrEqual(11);
  });

  for (const route of routes) {
    it(`${route.method} ${route.url}: 4xx problem+json or success, never 5xx; a refusal changes nothing`, async () => {
      const operation = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      const bodySchema = operation?.requestBody?.content?.['application/json']?.schema;
      const names = routeParams(route.url);
      const parameters: Parameter[] = operation?.parameters ?? [];
      const request = fc.record({
        params: fc.record(Object.fromEntries(names.map((name) => [name, paramValue(parameters.find((p) => p.in === 'path' && p.name === name))]))),
        brokenPath: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: brokenPathSegment }),
        query: queryFor(parameters),
        body: WRITE_METHODS.has(route.method) ? bodyFor(bodySchema) : fc.oneof(fc.constant<Body>({ kind: 'none' }), bodyFor(undefined)),
        contentType: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
        headers: extraHeaders,
        balanceTenant: fc.boolean(),
      });

      const ui = route.url.startsWith('/ui') ? await uiHeaders(route.url) : undefined;
      await fc.assert(
        fc.asyncProperty(request, async (input) => {
          const params = Object.fromEntries(
            names.map((name) => [
              name,
              name === 'tenantId' && input.params[name] !== undefined && knownIds.includes(String(input.params[name]))
                ? adminTenant.id
                : String(input.params[name]),
            ]),
          );
          let url = fillRoute(route.url, params);
          if (input.brokenPath && names.length > 0) url = fillRoute(route.url, Object.fromEntries(names.map((n) => [n, input.brokenPath!])), true);
          if (input.query) url += `?${input.query}`;
          const headers: Record<string, string> = { ...input.headers, ...credentialsFor(route.url, input.balanceTenant, ui) };
          let payload: string | undefined;
          if (input.body.kind !== 'none') {
            headers['content-type'] = input.body.kind === 'form' ? 'application/x-www-form-urlencoded' : input.contentType;
            payload = input.body.kind === 'json' ? unraw(JSON.stringify(input.body.value) ?? 'null') : input.body.text;
          }

          const before = await rowChanges.mark();
          const response = await app.inject({ method: route.method as 'GET', url, headers, payload });
          const context = `${route.method} ${url} ${JSON.stringify(headers)} ${payload?.slice(0, 300)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
          expectProblem(response, context, route.url);
          const accepted = (response.statusCode < 400 && WRITE_METHODS.has(route.method)) || writesWhenRefused(route.url);
          if (!accepted) expect(await rowChanges.since(before), context).toEqual([]);
        }),
        { numRuns: runsFor(route.url) },
      );
    });
  }
});

// Values every field of every endpoint gets once, one field at a time, the rest of the request valid: numbers a
// double cannot hold (raw JSON: 1e400 parses as Infinity), NUL, and lone surrogates (the halves of a pair, apart).
const SWEPT = [...NON_FINITE.slice(0, 2), '\u0000', 'a\u0000b', '\ud800', 'x\udfffy'];
// A form's field is text, where the sign of a number and a NUL's place change nothing: fewer values for the costlier pages.
const SWEPT_FORM = ['1e400', 'a\u0000b', '\ud800', 'x\udfffy'];
const EXAMPLE_UUID = '3fa85f64-5717-4562-b3fc-2c963f66afa6';

/** One valid value of a schema, the same on every run, with every optional field present, so each field can be swept in turn. */
function exampleFor(schema: JsonSchema, depth = 0): unknown {
  if (schema.$ref) return exampleFor(resolve(schema.$ref), depth);
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return exampleFor(options.find((option) => option.type !== 'null') ?? options[0]!, depth);
  if (schema.enum) return schema.enum[0];
  if ('const' in schema) return schema.const;
  switch (Array.isArray(schema.type) ? schema.type[0] : schema.type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => [key, exampleFor(value, depth + 1)]));
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () => exampleFor(schema.items ?? {}, depth + 1));
    case 'string':
      if (schema.format === 'uuid') return EXAMPLE_UUID;
      if (schema.format === 'date-time') return '2024-06-01T12:00:00Z';
      if (schema.format === 'uri') return 'https://master.example/hook';
      if (schema.pattern) return fc.sample(fc.stringMatching(new RegExp(schema.pattern), { maxLength: 30 }), { numRuns: 1, seed: 7 })[0];
      return 'Purchase';
    case 'integer':
    case 'number':
      return Math.min(Math.max(1, schema.minimum ?? 1, (schema.exclusiveMinimum ?? 0) + 1), schema.maximum ?? 1, (schema.exclusiveMaximum ?? 2) - 1);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return depth === 0 ? [] : 'x';
  }
}

/** The path of every leaf (a value that is no object or array) of `value`. */
function leafPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [path];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, i) => [i, item]) : Object.entries(value);
  return entries.length === 0 ? [path] : entries.flatMap(([key, child]) => leafPaths(child, [...path, key]));
}

function withLeaf(value: unknown, path: (string | number)[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  target[path.at(-1)!] = leaf;
  return copy;
}

// Every field a form of the UI has, with a value it accepts.
const FORM_EXAMPLE: Record<string, string> = {
  ...FORM_FIELDS,
  password: 'a long enough password',
  displayName: 'Ann',
  tenant: 'acme',
  tenantId: EXAMPLE_UUID,
  id: EXAMPLE_UUID,
  confirmed: 'x',
  idempotencyKey: 'k-1',
};

describe('every field of every endpoint gets non-finite numbers, NUL and lone surrogates', () => {
  // Sign-ins last: failed ones count against the address, and the other forms sign in first.
  const swept = [...routes].sort((a, b) => Number(writesWhenRefused(a.url)) - Number(writesWhenRefused(b.url)));

  for (const route of swept) {
    it(`${route.method} ${route.url}: never a 5xx, a refusal changes nothing`, async () => {
      const operation = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      const parameters: Parameter[] = operation?.parameters ?? [];
      const names = routeParams(route.url);
      const validParams = Object.fromEntries(
        names.map((name) => {
          const schema = parameters.find((p) => p.in === 'path' && p.name === name)?.schema;
          return [name, name === 'tenantId' ? adminTenant.id : String(schema ? exampleFor(schema) : EXAMPLE_UUID)];
        }),
      );
      const query = Object.fromEntries(parameters.filter((p) => p.in === 'query').map((p) => [p.name, String(exampleFor(p.schema ?? {}))]));
      const bodySchema = operation?.requestBody?.content?.['application/json']?.schema;
      const body = WRITE_METHODS.has(route.method) && bodySchema ? exampleFor(bodySchema) : undefined;
      const form = route.url.startsWith('/ui') && route.method === 'POST';
      const ui = route.url.startsWith('/ui') ? await uiHeaders(route.url) : undefined;

      type Swept = { params: Record<string, string>; query: Record<string, string>; body: unknown; form?: Record<string, string> };
      const cases: Swept[] = SWEPT.flatMap((value) => [
        ...names.map((name) => ({ params: { ...validParams, [name]: asText(value) }, query, body })),
        ...Object.keys(query).map((name) => ({ params: validParams, query: { ...query, [name]: asText(value) }, body })),
        ...(body === undefined ? [] : leafPaths(body).map((path) => ({ params: validParams, query, body: withLeaf(body, path, value) }))),
      ]);
      if (form) {
        for (const value of SWEPT_FORM) {
          for (const name of Object.keys(FORM_EXAMPLE)) cases.push({ params: validParams, query, body, form: { ...FORM_EXAMPLE, [name]: value } });
        }
      }

      for (const sent of cases) {
        let url = fillRoute(route.url, sent.params);
        const search = new URLSearchParams(sent.query).toString();
        if (search) url += `?${search}`;
        const headers: Record<string, string> = { ...credentialsFor(route.url, route.url.includes('/balances'), ui) };
        let payload: string | undefined;
        if (sent.form) {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          payload = new URLSearchParams(sent.form).toString();
        } else if (sent.body !== undefined) {
          headers['content-type'] = 'application/json';
          payload = unraw(JSON.stringify(sent.body));
        }
        const before = await rowChanges.mark();
        const response = await app.inject({ method: route.method as 'GET', url, headers, payload });
        const context = `${route.method} ${url} ${payload?.slice(0, 300)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
        expectProblem(response, context, route.url);
        const accepted = (response.statusCode < 400 && WRITE_METHODS.has(route.method)) || writesWhenRefused(route.url);
        if (!accepted) expect(await rowChanges.since(before), context).toEqual([]);
      }
    });
  }
});

describe('limits', () => {
  const writeRoutes = routes.filter((route) => WRITE_METHODS.has(route.method));
  const urlOf = (url: string) =>
    fillRoute(url, Object.fromEntries(routeParams(url).map((name) => [name, name === 'tenantId' ? adminTenant.id : randomUUID()])));

  it('finds the write routes', () => {
    expect(writeRoutes.length).toBeGreaterThanOrEqual(8);
  });

  for (const route of writeRoutes) {
    it(`${route.method} ${route.url}: a body over the limit answers 413, invalid JSON 400, both problem+json`, async () => {
      const ui = route.url.startsWith('/ui') ? await uiHeaders(route.url) : undefined;
      const headers = { ...credentialsFor(route.url, route.url.includes('/balances'), ui), 'content-type': 'application/json' };
      const before = await rowChanges.mark();
      const tooLarge = await app.inject({
        method: route.method as 'POST',
        url: urlOf(route.url),
        headers,
        payload: `"${'x'.repeat(system.runtime.config.http.bodyLimit)}"`,
      });
      expectProblem(tooLarge, `${route.url} too large`, route.url);
      expect(tooLarge.statusCode).toBe(413);
      if (String(tooLarge.headers['content-type']).startsWith('application/problem+json')) expect(tooLarge.json().title).toBe('Payload too large');

      const invalid = await app.inject({ method: route.method as 'POST', url: urlOf(route.url), headers, payload: '[{"contactId": ' });
      expectProblem(invalid, `${route.url} invalid JSON`, route.url);
      expect(invalid.statusCode).toBe(400);
      expect(await rowChanges.since(before)).toEqual([]);
    });
  }
});

describe('after the generated and swept input', () => {
  it('every batch the API accepted above is applied by the worker, none fails', async () => {
    // The queue dashboard's routes take operator actions that are accepted, not refused: a generated
    // request may have paused every queue or limited them. Undo that, as an operator would.
    for (const queue of [system.runtime.ingestQueue, system.runtime.webhookQueue]) {
      await queue.resume();
      await queue.removeGlobalConcurrency();
      await queue.removeGlobalRateLimit();
      await queue.removeRateLimitKey();
    }
    await system.startWorker();
    const unfinished = async () =>
      (await system.runtime.pool.query<{ n: number }>(`SELECT count(*) AS n FROM ingest_batch WHERE status IN ('Queued', 'Processing')`)).rows[0]!.n;
    await expect.poll(unfinished, { timeout: 20_000, message: 'unfinished batches' }).toBe(0);
    const { rows } = await system.runtime.pool.query(
      `SELECT b.id, b.kind, b.payload, m.message FROM ingest_batch b LEFT JOIN batch_message m ON m.batch_id = b.id WHERE b.status = 'Failed'`,
    );
    expect(rows).toEqual([]);
  });
});
