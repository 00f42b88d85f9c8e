// The shape suite, shared by `serve` (shapes.test.mjs) and `gateway --sim`
// (gateway_shapes.test.mjs): every response body, stream chunk and error body on the
// OpenAI routes (/v1/chat/completions, /v1/models, /v1/models/{id}) and the OpenRouter
// routes (/api/v1/chat/completions, /api/v1/models) is validated with ajv against the
// published schemas. A target is {root, model, orModel, setFaults(list), clearFaults()}.
import { describe, it, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { assertShape, sseData, postJson, getJson, OPENROUTER_ERROR_SCHEMA } from './shapes.mjs';

const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];
const ERROR_STATUSES = [400, 401, 403, 404, 409, 422, 429, 500, 503, 529];
const msgs = [{ role: 'user', content: 'Say hello.' }];
// What a gateway's error message must never show: upstream text, provider / endpoint
// names, internal tags.
const LEAKS = /sim-a|sim-b|provider=|upstream_http|\(type=|HTTP \d{3}:|in-band|Simulated/;
function assertClean(t, message, what) {
  if (!t.gateway) return;
  assert.equal(typeof message, 'string');
  assert.doesNotMatch(message, LEAKS, `${what}: error.message leaks upstream details: ${message}`);
}

/** Validates a streamed answer chunk by chunk; returns the chunks. */
function streamChunks(spec, name, r, what) {
  assert.equal(r.status, 200, `${what}: status ${r.status}: ${r.text.slice(0, 300)}`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
  const chunks = sseData(r.text);
  assert.ok(chunks.length >= 2, `${what}: ${chunks.length} chunks`);
  chunks.forEach((c, i) => assertShape(spec, name, c, `${what} chunk ${i}`));
  const ids = new Set(chunks.map((c) => c.id));
  assert.equal(ids.size, 1, `${what}: one id per stream, got ${[...ids].join(', ')}`);
  return chunks;
}

function openaiChat(t) {
  const url = () => `${t.root}/v1/chat/completions`;
  const ask = (extra = {}) => ({ model: t.model, messages: msgs, ...extra });
  it('non-stream → CreateChatCompletionResponse', async () => {
    const r = await postJson(url(), ask());
    assert.equal(r.status, 200, r.text);
    assertShape('openai', 'CreateChatCompletionResponse', r.json, 'chat completion');
  });
  it('non-stream with tools → CreateChatCompletionResponse', async () => {
    const r = await postJson(url(), ask({ tools: TOOLS, tool_choice: 'required' }));
    assert.equal(r.status, 200, r.text);
    assertShape('openai', 'CreateChatCompletionResponse', r.json, 'tool call completion');
    assert.equal(r.json.choices[0].message.tool_calls.length >= 1, true);
  });
  for (const extra of [{}, { stream_options: { include_usage: true } }, { tools: TOOLS, tool_choice: 'required' }]) {
    it(`stream ${JSON.stringify(extra)} → CreateChatCompletionStreamResponse`, async () => {
      const r = await postJson(url(), ask({ stream: true, ...extra }));
      const chunks = streamChunks('openai', 'CreateChatCompletionStreamResponse', r, 'stream');
      if (extra.stream_options) assert.deepEqual(chunks.at(-1).choices, []);
    });
  }
}

// n > 1 and logprobs (the simulator; the gateway carries one choice and no logprobs).
function openaiChoices(t) {
  const url = () => `${t.root}/v1/chat/completions`;
  const ask = (extra = {}) => ({ model: t.model, messages: msgs, ...extra });
  it('n=3 non-stream: choices 0..2 → CreateChatCompletionResponse', async () => {
    const r = await postJson(url(), ask({ n: 3 }));
    assert.equal(r.status, 200, r.text);
    assertShape('openai', 'CreateChatCompletionResponse', r.json, 'n=3 completion');
    assert.deepEqual(r.json.choices.map((c) => c.index), [0, 1, 2]);
  });
  it('n=2 stream: both indexes, one finish each', async () => {
    const chunks = streamChunks('openai', 'CreateChatCompletionStreamResponse', await postJson(url(), ask({ n: 2, stream: true })), 'n=2 stream');
    for (const i of [0, 1]) {
      const fin = chunks.flatMap((c) => c.choices).filter((c) => c.index === i && c.finish_reason);
      assert.equal(fin.length, 1, `choice ${i}: ${fin.length} finishes`);
    }
  });
  it('logprobs + top_logprobs: spec shape, one entry per token, top alternatives', async () => {
    const r = await postJson(url(), ask({ logprobs: true, top_logprobs: 3 }));
    assert.equal(r.status, 200, r.text);
    assertShape('openai', 'CreateChatCompletionResponse', r.json, 'logprobs completion');
    const lp = r.json.choices[0].logprobs;
    assert.ok(lp && Array.isArray(lp.content) && lp.content.length > 0, JSON.stringify(lp));
    assert.equal(lp.content.map((e) => e.token).join(''), r.json.choices[0].message.content);
    for (const e of lp.content) {
      assert.equal(e.top_logprobs.length, 3);
      assert.ok(e.logprob <= 0);
    }
    const s = await postJson(url(), ask({ logprobs: true, top_logprobs: 1, stream: true }));
    const chunks = streamChunks('openai', 'CreateChatCompletionStreamResponse', s, 'logprobs stream');
    assert.ok(chunks.some((c) => c.choices[0]?.logprobs?.content?.length === 1));
  });
}

function openaiErrors(t) {
  const url = () => `${t.root}/v1/chat/completions`;
  it('validation 400 (messages: []) → ErrorResponse', async () => {
    const r = await postJson(url(), { model: t.model, messages: [] });
    assert.equal(r.status, 400, r.text);
    assertShape('openai', 'ErrorResponse', r.json, '400 body');
  });
  it('malformed JSON body → 400 ErrorResponse', async () => {
    const r = await postJson(url(), '{"model":');
    assert.equal(r.status, 400, r.text);
    assertShape('openai', 'ErrorResponse', r.json, 'malformed body');
  });
  for (const status of ERROR_STATUSES) {
    it(`injected ${status} → ErrorResponse`, async () => {
      await t.setFaults([{ kind: 'http_error', status, retry_after_ms: 10 }]);
      const r = await postJson(url(), { model: t.model, messages: msgs });
      assert.ok(r.status >= 400, `status ${r.status}`);
      assertShape('openai', 'ErrorResponse', r.json, `${status} body`);
      assertClean(t, r.json.error.message, `${status}`);
    });
  }
  it('mid-stream error → chunks then an ErrorResponse event', async () => {
    await t.setFaults([{ kind: 'mid_stream_error', status: 500, after_events: 2 }]);
    const r = await postJson(url(), { model: t.model, messages: msgs, stream: true });
    const events = sseData(r.text);
    const last = events.at(-1);
    assert.ok(last.error, `last event is not an error: ${JSON.stringify(last)}`);
    assertShape('openai', 'ErrorResponse', last, 'mid-stream error event');
    assertClean(t, last.error.message, 'mid-stream error');
    events.slice(0, -1).forEach((c, i) => assertShape('openai', 'CreateChatCompletionStreamResponse', c, `chunk ${i}`));
  });
}

function openaiModels(t) {
  it('/v1/models → ListModelsResponse, /v1/models/{id} → Model', async () => {
    const r = await getJson(`${t.root}/v1/models`);
    assert.equal(r.status, 200, r.text);
    assertShape('openai', 'ListModelsResponse', r.json, 'models list');
    const id = r.json.data[0].id;
    const one = await getJson(`${t.root}/v1/models/${id}`);
    assert.equal(one.status, 200, one.text);
    assertShape('openai', 'Model', one.json, `model ${id}`);
  });
  it('/v1/models/{unknown} → 404 ErrorResponse', async () => {
    const r = await getJson(`${t.root}/v1/models/no-such-model-xyz`);
    assert.equal(r.status, 404, r.text);
    assertShape('openai', 'ErrorResponse', r.json, 'unknown model');
  });
}

function openrouterRoutes(t) {
  const url = () => `${t.root}/api/v1/chat/completions`;
  const ask = (extra = {}) => ({ model: t.orModel, messages: msgs, ...extra });
  it('non-stream → ChatResult', async () => {
    const r = await postJson(url(), ask());
    assert.equal(r.status, 200, r.text);
    assertShape('openrouter', 'ChatResult', r.json, 'openrouter completion');
  });
  it('non-stream with tools → ChatResult', async () => {
    const r = await postJson(url(), ask({ model: t.orToolModel, tools: TOOLS, tool_choice: 'required' }));
    assert.equal(r.status, 200, r.text);
    assertShape('openrouter', 'ChatResult', r.json, 'openrouter tool completion');
  });
  for (const extra of [{}, { tools: TOOLS, tool_choice: 'required' }]) {
    it(`stream ${JSON.stringify(extra)} → ChatStreamChunk, ends with the usage chunk`, async () => {
      const body = ask({ stream: true, ...extra, ...(extra.tools ? { model: t.orToolModel } : {}) });
      const chunks = streamChunks('openrouter', 'ChatStreamChunk', await postJson(url(), body), 'openrouter stream');
      assert.ok(chunks.at(-1).usage, 'the last chunk carries usage');
    });
  }
  it('reasoning → ChatResult with reasoning_details, streamed as ChatStreamChunk reasoning deltas', async () => {
    const r = await postJson(url(), ask({ reasoning: { effort: 'low' } }));
    assert.equal(r.status, 200, r.text);
    assertShape('openrouter', 'ChatResult', r.json, 'openrouter reasoning completion');
    const body = ask({ stream: true, reasoning: { max_tokens: 4 } });
    const chunks = streamChunks('openrouter', 'ChatStreamChunk', await postJson(url(), body), 'openrouter reasoning stream');
    if (t.gateway) return;  // the gateway's --sim upstreams speak OpenAI's protocol with a model that does not reason
    assert.ok(r.json.choices[0].message.reasoning.length > 0);
    assert.equal(r.json.usage.completion_tokens_details.reasoning_tokens, 8);
    assert.equal(chunks.filter((c) => c.choices[0]?.delta?.reasoning_details).length, 4);
  });
  it('mid-stream error chunk → ChatStreamChunk with error, same id', async () => {
    await t.setFaults([{ kind: 'mid_stream_error', status: 502, after_events: 2 }]);
    const chunks = streamChunks('openrouter', 'ChatStreamChunk', await postJson(url(), ask({ stream: true })), 'fault stream');
    assert.ok(chunks.at(-1).error, 'last chunk carries error');
    assert.equal(chunks.at(-1).choices[0]?.finish_reason, 'error');
    assertClean(t, chunks.at(-1).error.message, 'mid-stream error chunk');
  });
  for (const status of [400, 401, 402, 403, 404, 408, 429, 500, 502, 503]) {
    it(`injected ${status} → OpenRouter error schema`, async () => {
      await t.setFaults([{ kind: 'http_error', status, retry_after_ms: 10 }]);
      const r = await postJson(url(), ask());
      assert.ok(r.status >= 400, `status ${r.status}`);
      assertShape('openrouter', OPENROUTER_ERROR_SCHEMA[r.status] ?? 'InternalServerResponse', r.json, `${r.status} body`);
      assert.equal(r.json.error.code, r.status, 'error.code is the HTTP status');
      assertClean(t, r.json.error.message, `${status}`);
    });
  }
  it('/api/v1/models → ModelsListResponse', async () => {
    const r = await getJson(`${t.root}/api/v1/models`);
    assert.equal(r.status, 200, r.text);
    assertShape('openrouter', 'ModelsListResponse', r.json, 'openrouter models');
  });
}

// Requests the real API rejects: 400 invalid_request_error with the API's param and code,
// surfaced by the openai SDK as BadRequestError with .param / .code.
const INVALID = [
  [{ temperature: 2.5 }, 'temperature', 'decimal_above_max_value'],
  [{ temperature: -1 }, 'temperature', 'decimal_below_min_value'],
  [{ top_p: 1.5 }, 'top_p', 'decimal_above_max_value'],
  [{ n: 0 }, 'n', 'integer_below_min_value'],
  [{ max_tokens: 0 }, 'max_tokens', 'integer_below_min_value'],
  [{ max_completion_tokens: 0 }, 'max_completion_tokens', 'integer_below_min_value'],
  [{ logprobs: true, top_logprobs: 21 }, 'top_logprobs', 'integer_above_max_value'],
  [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
  [{ messages: [{ role: 'user', content: [{ type: 'video', text: 'x' }] }] }, 'messages[0].content[0].type', 'invalid_value'],
  [{ messages: [{ role: 'user', content: 42 }] }, 'messages[0].content', 'invalid_type'],
  [{ messages: [{ role: 'user', content: 'x' }, { role: 'tool', content: 'x' }] }, 'messages[1].tool_call_id', 'missing_required_parameter'],
];

function openaiValidation(t) {
  const sdk = () => new OpenAI({ apiKey: 'sk-FAKE-validation-0123456789', baseURL: `${t.root}/v1`, maxRetries: 0 });
  for (const [extra, param, code] of INVALID) {
    it(`400 ${param} (${code}) for ${JSON.stringify(extra)}`, async () => {
      let err;
      try {
        await sdk().chat.completions.create({ model: t.model, messages: msgs, ...extra });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof OpenAI.BadRequestError, `expected BadRequestError, got ${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.status, 400);
      assert.equal(err.type, 'invalid_request_error');
      assert.equal(err.param, param);
      assert.equal(err.code, code);
      assert.match(err.message, /^400 (Invalid|Missing required parameter)/);
      assertShape('openai', 'ErrorResponse', { error: err.error }, 'validation error');
    });
  }
}

/** Registers the suite for one target. */
export function shapeSuite(label, t, { skip = false } = {}) {
  describe(`${label}: OpenAI shapes`, { skip }, () => {
    beforeEach(() => t.clearFaults());
    after(() => t.clearFaults());
    openaiChat(t);
    if (!t.gateway) openaiChoices(t);
    openaiErrors(t);
    openaiModels(t);
  });
  describe(`${label}: OpenAI request validation`, { skip }, () => {
    beforeEach(() => t.clearFaults());
    openaiValidation(t);
  });
  describe(`${label}: OpenRouter shapes`, { skip }, () => {
    beforeEach(() => t.clearFaults());
    after(() => t.clearFaults());
    openrouterRoutes(t);
  });
}
