#!/usr/bin/env node
// Generates specs/anthropic.json: JSON Schemas of the Anthropic response types the shape
// tests need, from the TypeScript types the official SDK ships (Anthropic publishes no
// OpenAPI document). Roots are the exports of specs/anthropic_roots.ts; each becomes a
// component schema with everything it references, for test/shapes.mjs (ajv).
//
// Usage (from tests/sdk, after `npm ci`): node specs/anthropic_types.mjs
// The output records the npm package and its installed version (package-lock pins it).
//
// Transformations (and nothing else): ts-json-schema-generator's `#/definitions/X` refs
// become `#/components/schemas/X` (the layout of the other spec files); JSDoc text is not
// carried (size). Object types stay open (`additionalProperties` true), as the SDK's
// parsers are; a required key typed `T | null` must be present, with a value or null.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

const ROOTS = ['Message', 'RawMessageStreamEvent', 'MessageTokensCount', 'ModelInfo', 'ModelListResponse', 'ErrorResponse'];
const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(here, '../node_modules/@anthropic-ai/sdk/package.json'), 'utf8'));

function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') out[k] = v.replace(/^#\/definitions\//, '#/components/schemas/');
    else out[k] = rewriteRefs(v);
  }
  return out;
}

function main() {
  const gen = createGenerator({
    path: join(here, 'anthropic_roots.ts'),
    tsconfig: join(here, 'anthropic_tsconfig.json'),
    type: '*',
    skipTypeCheck: true,
    expose: 'export',
    topRef: true,
    jsDoc: 'none',
    additionalProperties: true,
  });
  const schemas = {};
  for (const root of ROOTS) {
    const s = gen.createSchema(root);
    for (const [name, def] of Object.entries(s.definitions)) schemas[name] = rewriteRefs(def);
    if (!schemas[root]) throw new Error(`root ${root} not generated`);
  }
  const out = {
    $id: 'https://ploke-sim.invalid/specs/anthropic.json',
    'x-source': { npm: `${pkg.name}@${pkg.version}`, types: 'resources/**/*.d.ts via specs/anthropic_roots.ts', generator: 'ts-json-schema-generator', roots: ROOTS },
    components: { schemas: Object.fromEntries(Object.keys(schemas).sort().map((k) => [k, schemas[k]])) },
  };
  const file = join(here, 'anthropic.json');
  writeFileSync(`${file}.tmp`, `${JSON.stringify(out, null, 1)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`${file}: ${Object.keys(schemas).length} schemas from ${pkg.name}@${pkg.version}`);
}

main();
