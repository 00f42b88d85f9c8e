#!/usr/bin/env node
// Extracts the component schemas the shape tests need from the providers' published
// OpenAPI documents, with everything they reference (transitively), and writes them as
// one JSON document per provider that ajv can load (tests/sdk/test/shapes.mjs).
//
// Usage (from tests/sdk, node_modules installed):
//   node specs/extract.mjs openai     GIT_DIR [COMMIT]   # github:openai/openai-openapi
//   node specs/extract.mjs openrouter GIT_DIR [COMMIT]   # github:OpenRouterTeam/typescript-sdk
// GIT_DIR is a clone (bare or not) of the upstream repository; COMMIT defaults to HEAD.
// The output records repo, path and commit, so a refresh is reproducible.
//
// Transformations (and nothing else): `description`, `example(s)`, `title` and vendor
// `x-*` keys are dropped (size); OpenAPI 3.0 `nullable: true` becomes a JSON Schema
// `null` alternative, since ajv does not read `nullable` without a `type`.
import { execFileSync } from 'node:child_process';
import { writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const SOURCES = {
  openai: {
    repo: 'github.com/openai/openai-openapi',
    path: 'openapi.yaml',
    roots: [
      'CreateChatCompletionResponse',
      'CreateChatCompletionStreamResponse',
      'ErrorResponse',
      'ListModelsResponse',
      'Model',
      'CreateChatCompletionRequest',
      'Response',
      'ResponseStreamEvent',
      'CreateEmbeddingResponse',
      'CreateCompletionResponse',
    ],
  },
  openrouter: {
    repo: 'github.com/OpenRouterTeam/typescript-sdk',
    path: '.speakeasy/in.openapi.yaml',
    roots: [
      'ChatResult',
      'ChatStreamChunk',
      'ModelsListResponse',
      'BadRequestResponse',
      'UnauthorizedResponse',
      'PaymentRequiredResponse',
      'ForbiddenResponse',
      'ConflictResponse',
      'GoneResponse',
      'NotFoundResponse',
      'RequestTimeoutResponse',
      'PayloadTooLargeResponse',
      'UnprocessableEntityResponse',
      'TooManyRequestsResponse',
      'InternalServerResponse',
      'BadGatewayResponse',
      'ServiceUnavailableResponse',
      'EdgeNetworkTimeoutResponse',
      'ProviderOverloadedResponse',
    ],
  },
};

const DROP = new Set(['description', 'example', 'examples', 'title', 'discriminator']);

function clean(node) {
  if (Array.isArray(node)) return node.map(clean);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (DROP.has(k) || k.startsWith('x-') || k === 'nullable') continue;
    out[k] = k === 'properties' || k === 'patternProperties' ? cleanMap(v) : clean(v);
  }
  if (node.nullable === true) return nullable(out);
  return out;
}

// A map from property names to schemas: keep every name (`description` is a field too).
function cleanMap(m) {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, clean(v)]));
}

function nullable(s) {
  if (typeof s.type === 'string') {
    const r = { ...s, type: [s.type, 'null'] };
    if (Array.isArray(s.enum) && !s.enum.includes(null)) r.enum = [...s.enum, null];
    return r;
  }
  if (Array.isArray(s.type)) return s.type.includes('null') ? s : { ...s, type: [...s.type, 'null'] };
  return { anyOf: [s, { type: 'null' }] };
}

function refsOf(node, acc) {
  if (Array.isArray(node)) node.forEach((n) => refsOf(n, acc));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const m = /^#\/components\/schemas\/(.+)$/.exec(v);
        if (!m) throw new Error(`unsupported $ref ${v}`);
        acc.add(m[1]);
      } else refsOf(v, acc);
    }
  }
}

function closure(all, roots) {
  const keep = {};
  const todo = [...roots];
  while (todo.length) {
    const name = todo.pop();
    if (keep[name]) continue;
    if (!all[name]) throw new Error(`schema ${name} not found in the spec`);
    keep[name] = clean(all[name]);
    const refs = new Set();
    refsOf(keep[name], refs);
    todo.push(...refs);
  }
  return Object.fromEntries(Object.keys(keep).sort().map((k) => [k, keep[k]]));
}

function main() {
  const [which, gitDir, commitArg = 'HEAD'] = process.argv.slice(2);
  const src = SOURCES[which];
  if (!src || !gitDir) {
    console.error('usage: extract.mjs openai|openrouter GIT_DIR [COMMIT]');
    process.exit(2);
  }
  const git = (...a) => execFileSync('git', ['--git-dir', gitDir, ...a], { maxBuffer: 1 << 28 }).toString();
  const commit = git('rev-parse', `${commitArg}^{commit}`).trim();
  const doc = YAML.parse(git('show', `${commit}:${src.path}`), { maxAliasCount: -1 });
  const schemas = closure(doc.components.schemas, src.roots);
  const out = {
    $id: `https://ploke-sim.invalid/specs/${which}.json`,
    'x-source': { repo: src.repo, path: src.path, commit, roots: src.roots },
    components: { schemas },
  };
  const here = dirname(fileURLToPath(import.meta.url));
  const file = join(here, `${which}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(out, null, 1)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`${file}: ${Object.keys(schemas).length} schemas from ${src.repo}@${commit}`);
}

main();
