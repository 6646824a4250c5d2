// The JSON Schemas the package ships (schemas/*.schema.json), compiled once with ajv (strict: a
// schema with a typo fails to compile), for tests that check what the commands print.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv, type AnySchemaObject } from 'ajv';

const SCHEMA_DIR = new URL('../../../schemas/', import.meta.url);

export type SchemaName = 'show-device' | 'show-all' | 'show-interfaces' | 'watch-event';

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8')) as AnySchemaObject);
}

export function assertMatchesSchema(name: SchemaName, data: unknown): void {
  const validate = ajv.getSchema(`urn:viaguard:schema:${name}`);
  assert.ok(validate, `schema ${name} is shipped`);
  if (!validate(data)) assert.fail(`${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(data, null, 2)}`);
}
