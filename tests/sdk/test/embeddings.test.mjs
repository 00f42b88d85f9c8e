// Embeddings and legacy completions: the official SDK's embeddings.create() (its default
// asks for base64 and decodes it) and completions.create() (non-stream and stream) against
// `serve`; bodies validated against the published CreateEmbeddingResponse /
// CreateCompletionResponse schemas (specs/openai.json).
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { createOpenAI } from '@ai-sdk/openai';
import { embed, embedMany } from 'ai';
import { client, clearFaults, setFaults, journalMark, ROOT } from './helpers.mjs';
import { rejectsWith } from './assertions.mjs';
import { assertShape, postJson, sseData } from './shapes.mjs';

beforeEach(clearFaults);

const EMBED = 'text-embedding-3-small';
const INSTRUCT = 'gpt-3.5-turbo-instruct';

/** A client that records the JSON bodies it sends. */
function recordingClient() {
  const sent = [];
  const c = client({
    fetch: async (url, init) => {
      if (init?.body) sent.push(JSON.parse(init.body));
      return fetch(url, init);
    },
  });
  return { c, sent };
}

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('embeddings', () => {
  it('the SDK default (base64, decoded) gives the float vectors, unit length', async () => {
    const { c, sent } = recordingClient();
    const input = ['the quick brown fox', 'jumps over the lazy dog'];
    const dflt = await c.embeddings.create({ model: EMBED, input });
    assert.equal(sent[0].encoding_format, 'base64', 'the SDK asks for base64 by default');
    const flt = await c.embeddings.create({ model: EMBED, input, encoding_format: 'float' });
    assert.equal(sent[1].encoding_format, 'float');
    assert.equal(dflt.object, 'list');
    assert.equal(dflt.model, EMBED);
    assert.equal(dflt.data.length, 2);
    for (let i = 0; i < 2; i++) {
      const a = dflt.data[i].embedding;
      const b = flt.data[i].embedding;
      assert.equal(dflt.data[i].index, i);
      assert.equal(dflt.data[i].object, 'embedding');
      assert.equal(a.length, 1536);
      assert.equal(b.length, 1536);
      // The float text reads back as the float32 the base64 carries.
      for (let k = 0; k < a.length; k++) assert.equal(a[k], Math.fround(b[k]), `data[${i}][${k}]`);
      assert.ok(Math.abs(norm(b) - 1) < 1e-5, `unit length: ${norm(b)}`);
    }
    assert.notDeepEqual(flt.data[0].embedding, flt.data[1].embedding);
    assert.ok(Number.isInteger(flt.usage.prompt_tokens) && flt.usage.prompt_tokens > 0);
    assert.equal(flt.usage.total_tokens, flt.usage.prompt_tokens);
  });

  it('same input, same vector, in any batch position; dimensions shortens', async () => {
    const one = await client().embeddings.create({ model: EMBED, input: 'beta', encoding_format: 'float' });
    const batch = await client().embeddings.create({ model: EMBED, input: ['alpha', 'beta'], encoding_format: 'float' });
    assert.deepEqual(batch.data[1].embedding, one.data[0].embedding);
    const short = await client().embeddings.create({ model: EMBED, input: 'beta', dimensions: 256 });
    assert.equal(short.data[0].embedding.length, 256);
    assert.ok(Math.abs(norm(short.data[0].embedding) - 1) < 1e-5);
    const large = await client().embeddings.create({ model: 'text-embedding-3-large', input: 'beta' });
    assert.equal(large.data[0].embedding.length, 3072);
  });

  it('bodies match CreateEmbeddingResponse; errors match ErrorResponse', async () => {
    const r = await postJson(`${ROOT}/v1/embeddings`, { model: EMBED, input: ['a', 'b'], encoding_format: 'float' });
    assert.equal(r.status, 200);
    assertShape('openai', 'CreateEmbeddingResponse', r.json, 'embeddings body');
    const tok = await postJson(`${ROOT}/v1/embeddings`, { model: EMBED, input: [[1, 2, 3]], dimensions: 8 });
    assertShape('openai', 'CreateEmbeddingResponse', tok.json, 'token-input body');
    for (const [body, status] of [
      [{ model: EMBED, input: '' }, 400],
      [{ model: 'text-embedding-ada-002', input: 'x', dimensions: 8 }, 400],
      [{ model: 'no-such-model', input: 'x' }, 404],
    ]) {
      const e = await postJson(`${ROOT}/v1/embeddings`, body);
      assert.equal(e.status, status, JSON.stringify(body));
      assertShape('openai', 'ErrorResponse', e.json, `error ${status}`);
    }
  });

  it('SDK errors: empty input, dimensions on ada-002, unknown model', async () => {
    let err = await rejectsWith(client().embeddings.create({ model: EMBED, input: '' }), OpenAI.BadRequestError);
    assert.match(err.message, /'\$\.input' is invalid/);
    err = await rejectsWith(
      client().embeddings.create({ model: 'text-embedding-ada-002', input: 'x', dimensions: 8 }),
      OpenAI.BadRequestError,
    );
    assert.match(err.message, /does not support specifying dimensions/);
    err = await rejectsWith(client().embeddings.create({ model: 'nope', input: 'x' }), OpenAI.NotFoundError);
    assert.equal(err.code, 'model_not_found');
  });

  it('faults apply: a 429 is retried by the SDK', async () => {
    await setFaults([{ id: 'rl', kind: 'http_error', status: 429, retry_after_ms: 10, match: { path: '/v1/embeddings' },
      trigger: { nth: 1 } }]);
    const mark = await journalMark();
    const res = await client().embeddings.create({ model: EMBED, input: 'x' });
    assert.equal(res.data.length, 1);
    const entries = await mark.entries('/v1/embeddings');
    assert.deepEqual(entries.map((e) => e.status), [429, 200]);
    assert.deepEqual(entries.map((e) => e.retry_count), [0, 1]);
  });
});

describe('legacy completions', () => {
  it('non-stream: a text_completion the SDK parses, valid CreateCompletionResponse', async () => {
    const { data, request_id } = await client()
      .completions.create({ model: INSTRUCT, prompt: 'Say this is a test', max_tokens: 7, n: 2 })
      .withResponse();
    assert.ok(request_id);
    assert.equal(data.object, 'text_completion');
    assert.match(data.id, /^cmpl-/);
    assert.equal(data.choices.length, 2);
    for (const [i, ch] of data.choices.entries()) {
      assert.equal(ch.index, i);
      assert.equal(typeof ch.text, 'string');
      assert.equal(ch.logprobs, null);
      assert.equal(ch.finish_reason, 'length');  // 7 < the shortest synthetic answer (8)
    }
    assert.equal(data.usage.completion_tokens, 14);
    assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + 14);
    const r = await postJson(`${ROOT}/v1/completions`, { model: INSTRUCT, prompt: ['a', 'b'], echo: true });
    assert.equal(r.status, 200);
    assertShape('openai', 'CreateCompletionResponse', r.json, 'completion body');
  });

  it('stream: text_completion chunks, finish, usage chunk, [DONE]', async () => {
    const stream = await client().completions.create({
      model: INSTRUCT, prompt: 'Say this is a test', stream: true, stream_options: { include_usage: true },
    });
    let text = '';
    let finish = null;
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'text_completion');
      if (chunk.usage) usage = chunk.usage;
      for (const ch of chunk.choices) {
        assert.equal(finish, null, 'nothing after the finish');
        text += ch.text;
        finish = ch.finish_reason;
      }
    }
    assert.ok(text.length > 0);
    assert.ok(finish === 'stop' || finish === 'length');
    assert.ok(usage && usage.completion_tokens > 0);
    // Raw: every chunk matches the schema, and the stream ends in [DONE]. The schema (shared
    // with the non-stream body) has no null finish_reason and no null usage, though the API
    // streams null until a choice ends and, with include_usage, `"usage": null` on every
    // chunk but the last (the stream_options contract): both are checked here instead.
    const raw = await fetch(`${ROOT}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
      body: JSON.stringify({ model: INSTRUCT, prompt: 'x', stream: true, stream_options: { include_usage: true } }),
    });
    const body = await raw.text();
    assert.match(body, /data: \[DONE\]\n\n$/);
    const chunks = sseData(body);
    for (const [i, c] of chunks.entries()) {
      const last = i === chunks.length - 2;
      for (const ch of c.choices) {
        assert.equal(ch.finish_reason === null, !last, `finish_reason only on the choice's last chunk (${i})`);
        if (ch.finish_reason === null) ch.finish_reason = 'stop';
      }
      if (i < chunks.length - 1) {
        assert.equal(c.usage, null, `usage: null before the usage chunk (${i})`);
        delete c.usage;
      }
      assertShape('openai', 'CreateCompletionResponse', c, `chunk ${i}`);
    }
    assert.deepEqual(chunks.at(-1).choices, []);
  });

  it('a chat model is the API 404; a 500 mid-stream is an SDK error', async () => {
    const err = await rejectsWith(client().completions.create({ model: 'gpt-4o', prompt: 'x' }), OpenAI.NotFoundError);
    assert.match(err.message, /This is a chat model and not supported in the v1\/completions endpoint/);
    await setFaults([{ id: 'mid', kind: 'mid_stream_error', after_events: 1, match: { path: '/v1/completions' } }]);
    const stream = await client().completions.create({ model: INSTRUCT, prompt: 'x', stream: true });
    await assert.rejects(async () => {
      for await (const _ of stream) { /* drain */ }
    }, OpenAI.APIError);
  });
});

describe('Vercel AI SDK: embed', () => {
  it('embed / embedMany over @ai-sdk/openai give the vectors the openai SDK gets', async () => {
    const openai = createOpenAI({ apiKey: 'sk-ploke-sim-test', baseURL: `${ROOT}/v1` });
    const { embedding, usage } = await embed({ model: openai.embedding(EMBED), value: 'hello vercel', maxRetries: 0 });
    const direct = await client().embeddings.create({ model: EMBED, input: 'hello vercel', encoding_format: 'float' });
    assert.equal(embedding.length, 1536);
    embedding.forEach((x, i) => assert.equal(Math.fround(x), Math.fround(direct.data[0].embedding[i]), `component ${i}`));
    assert.ok(usage.tokens > 0);
    const { embeddings } = await embedMany({ model: openai.embedding(EMBED), values: ['a', 'hello vercel'], maxRetries: 0 });
    assert.equal(embeddings.length, 2);
    assert.deepEqual(embeddings[1], embedding);
  });
});
