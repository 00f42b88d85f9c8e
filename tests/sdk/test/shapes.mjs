// Shape checks against the providers' published schemas (tests/sdk/specs/*.json, extracted
// from the upstream OpenAPI documents by specs/extract.mjs, which records repo + commit).
// `assertShape(spec, name, value, what)` fails with every ajv error: the instance path, the
// schema path and the offending value, so a failure says exactly which field is wrong.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const SPECS = ['openai', 'openrouter', 'anthropic'];
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats.default ? addFormats.default(ajv) : addFormats(ajv);
// OpenAI's spec marks Unix timestamps with a custom format.
ajv.addFormat('unixtime', { type: 'number', validate: (x) => Number.isInteger(x) && x >= 0 });
const ids = {};
const docs = {};
for (const s of SPECS) {
  const doc = JSON.parse(readFileSync(new URL(`../specs/${s}.json`, import.meta.url), 'utf8'));
  ajv.addSchema(doc);
  ids[s] = doc.$id;
  docs[s] = doc;
}
const cache = new Map();

function validator(spec, name) {
  const key = `${spec}#${name}`;
  if (!cache.has(key)) {
    const v = ajv.getSchema(`${ids[spec]}#/components/schemas/${name}`);
    if (!v) throw new Error(`no schema ${name} in specs/${spec}.json (add it to extract.mjs roots)`);
    cache.set(key, v);
  }
  return cache.get(key);
}

function valueAt(root, pointer) {
  let v = root;
  for (const part of pointer.split('/').slice(1)) v = v?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

/** Throws an AssertionError listing each ajv error when `value` is not a valid `name`. */
export function assertShape(spec, name, value, what = name) {
  const v = validator(spec, name);
  if (v(value)) return;
  const lines = v.errors.slice(0, 12).map((e) => {
    const got = JSON.stringify(valueAt(value, e.instancePath)) ?? 'undefined';
    return `  at ${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)} (schema ${e.schemaPath}); value ${got.slice(0, 160)}`;
  });
  assert.fail(`${what} is not a valid ${spec} ${name}:\n${lines.join('\n')}\nbody: ${JSON.stringify(value).slice(0, 600)}`);
}

/** The branch of OpenAI's ResponseStreamEvent union for each event `type`. */
const RESPONSE_EVENTS = new Map();
for (const { $ref } of docs.openai.components.schemas.ResponseStreamEvent.anyOf) {
  const name = $ref.split('/').at(-1);
  for (const t of docs.openai.components.schemas[name].properties?.type?.enum ?? []) RESPONSE_EVENTS.set(t, name);
}

/** A Responses stream event against the ResponseStreamEvent branch its `type` names (the
 * union's own errors list every branch), and against the union itself. */
export function assertResponseEvent(event, what = event?.type) {
  const name = RESPONSE_EVENTS.get(event?.type);
  assert.ok(name, `${what}: no ResponseStreamEvent has type ${JSON.stringify(event?.type)}`);
  assertShape('openai', name, event, what);
  assertShape('openai', 'ResponseStreamEvent', event, what);
}

/** The JSON payloads of an SSE body (comments and `[DONE]` dropped), in order. */
export function sseData(text) {
  const out = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data || data === '[DONE]') continue;
    out.push(JSON.parse(data));
  }
  return out;
}

/** POSTs JSON; returns {status, headers, text, json|undefined}. */
export async function postJson(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-FAKE-shape-test-0123456789', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function getJson(url) {
  const res = await fetch(url, { headers: { authorization: 'Bearer sk-FAKE-shape-test-0123456789' } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

/** OpenRouter's error response schema for an HTTP status. */
export const OPENROUTER_ERROR_SCHEMA = {
  400: 'BadRequestResponse',
  401: 'UnauthorizedResponse',
  402: 'PaymentRequiredResponse',
  403: 'ForbiddenResponse',
  404: 'NotFoundResponse',
  409: 'ConflictResponse',
  410: 'GoneResponse',
  408: 'RequestTimeoutResponse',
  413: 'PayloadTooLargeResponse',
  422: 'UnprocessableEntityResponse',
  429: 'TooManyRequestsResponse',
  500: 'InternalServerResponse',
  502: 'BadGatewayResponse',
  503: 'ServiceUnavailableResponse',
  524: 'EdgeNetworkTimeoutResponse',
  529: 'ProviderOverloadedResponse',
};
