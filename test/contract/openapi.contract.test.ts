import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSystem } from '../support/system.ts';
import { MODELS_IN_OPENAPI, nullPaths } from './engage-models.ts';

/**
 * The OpenAPI document promises what Engage's models promise: every model
 * field is there with the model's type (an integer is a number), nothing is
 * nullable, and the fields that can be absent are not required.
 */
const system = await startSystem();
afterAll(() => system.close());

interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  nullable?: boolean;
}

const doc = (await system.app.inject({ url: '/documentation/json' })).json<{ components: { schemas: Record<string, Schema> }; paths: object }>();
const resolve = (schema: Schema): Schema => (schema.$ref ? resolve(doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]!) : schema);

/** Where the document's schema allows a null, or differs in type from the model's. */
function mismatches(model: Schema, documented: Schema, path: string): string[] {
  const schema = resolve(documented);
  const found: string[] = [];
  const types = [schema.type ?? []].flat();
  if (types.includes('null') || schema.nullable || [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].some((s) => resolve(s).type === 'null')) {
    found.push(`${path}: nullable`);
  }
  if (typeof model.type === 'string') {
    const fits = types.length === 1 && (types[0] === model.type || (model.type === 'number' && types[0] === 'integer'));
    if (!fits) found.push(`${path}: ${JSON.stringify(schema.type)} where the model has ${model.type}`);
  }
  if (model.enum && !(schema.enum ?? []).every((value) => model.enum!.includes(value))) found.push(`${path}: values outside ${model.enum.join('|')}`);
  for (const [name, property] of Object.entries(model.properties ?? {})) {
    const documentedProperty = schema.properties?.[name];
    if (!documentedProperty) found.push(`${path}.${name}: missing`);
    else found.push(...mismatches(property, documentedProperty, `${path}.${name}`));
  }
  if (model.items && schema.items) found.push(...mismatches(model.items, schema.items, `${path}[]`));
  return found;
}

/** The fields the follower leaves out when they have no value: the document must not call them required. */
const MAY_BE_ABSENT: Record<string, string[]> = {
  PointAccount: ['balanceExpires'],
  PointDefinition: ['description'],
  PointTransaction: ['validTo', 'retailTransactionLineItemId'],
  PointTransactionToAccount: ['contactId', 'amount', 'definitionId', 'timeStamp', 'source', 'description', 'validFrom', 'validTo'],
  BonusPointTransaction: ['id', 'type', 'automationBonusAdjustmentReason'],
  PointAccountV3: ['balanceExpires'],
  PointTransactionV3: ['validTo', 'retailTransactionLineItemId'],
};

describe('the OpenAPI document against Engage v2 and v3 models', () => {
  for (const [name, model] of Object.entries(MODELS_IN_OPENAPI)) {
    it(`documents ${name} as Engage does`, () => {
      const component = doc.components.schemas[name];
      expect(component, `components.schemas.${name}`).toBeDefined();
      expect(mismatches(z.toJSONSchema(model) as Schema, component!, name)).toEqual([]);
      const required = resolve(component!).required ?? [];
      expect(required.filter((field) => MAY_BE_ABSENT[name]?.includes(field))).toEqual([]);
      // What Engage requires, the document requires too.
      const modelRequired = (z.toJSONSchema(model) as Schema).required ?? [];
      expect(modelRequired.filter((field) => !required.includes(field))).toEqual([]);
    });
  }

  it('lists the v3 point reads with their v3 models', () => {
    const answers: Record<string, string> = {
      '/api/v3/point-accounts': 'PointAccountV3List',
      '/api/v3/point-accounts/{id}': 'PointAccountV3',
      '/api/v3/point-transactions': 'PointTransactionV3List',
      '/api/v3/point-transactions/{id}': 'PointTransactionV3',
      '/api/v3/point-definitions': 'PointDefinitionV3List',
      '/api/v3/point-definitions/{id}': 'PointDefinition',
    };
    const paths = doc.paths as Record<string, { get?: { responses: Record<string, { content: Record<string, { schema: Schema }> }> } }>;
    for (const [path, model] of Object.entries(answers)) {
      const schema = paths[path]?.get?.responses['200']?.content['application/json']?.schema;
      expect(schema?.$ref, path).toBe(`#/components/schemas/${model}`);
    }
  });

  it('lets no response schema under /api be nullable', () => {
    const responses = JSON.stringify(
      Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/api/'))
        .map(([, operations]) => Object.values(operations as Record<string, { responses?: unknown }>).map((operation) => operation.responses)),
    );
    const referenced = new Set([...responses.matchAll(/#\/components\/schemas\/([A-Za-z0-9_]+)/g)].map((m) => m[1]!));
    const schemas = [JSON.parse(responses) as unknown, ...[...referenced].map((id) => doc.components.schemas[id])];
    const nullable = JSON.stringify(schemas).match(/"type":\s*(\[[^\]]*"null"[^\]]*\]|"null")|"nullable":\s*true/g) ?? [];
    expect(nullable).toEqual([]);
    expect(nullPaths(schemas).filter((path) => !path.endsWith('.default'))).toEqual([]);
  });
});
