// The official `openai` SDK pointed at the simulator's OpenRouter base URL (ROOT + /api/v1),
// as OpenRouter's docs tell users to do: non-stream and stream, OpenRouter's extra fields
// (provider, native_finish_reason, usage.cost), provider preferences passed as extra body
// fields, the 404 for tools without a tool endpoint, and a mid-stream error chunk.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ROOT, clearFaults, setFaults, drain, rejectsWith, WEATHER_TOOLS } from './helpers.mjs';

const OR_BASE = `${ROOT}/api/v1`;
const orClient = () => new OpenAI({ apiKey: 'sk-or-v1-FAKE-sdk-test-0123456789', baseURL: OR_BASE, maxRetries: 0 });
const ask = (extra = {}) => ({ model: 'moonshotai/kimi-k2', messages: [{ role: 'user', content: 'Say hello.' }], ...extra });

beforeEach(clearFaults);

describe('openrouter via the openai SDK', () => {
  it('non-stream: gen- id, provider, native_finish_reason, usage with cost', async () => {
    const { data, response } = await orClient().chat.completions.create(ask()).withResponse();
    assert.match(response.headers.get('content-type'), /^application\/json/);
    assert.match(data.id, /^gen-\d+-/);
    assert.equal(response.headers.get('x-generation-id'), data.id);
    assert.equal(data.model, 'moonshotai/kimi-k2');
    assert.equal(typeof data.provider, 'string');
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.equal(typeof data.choices[0].native_finish_reason, 'string');
    assert.ok(data.choices[0].message.content.length > 0);
    assert.ok(data.usage.cost > 0);
    assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
  });

  it('stream: chunks with provider, one finish, final usage chunk with cost', async () => {
    const stream = await orClient().chat.completions.create(ask({ stream: true }));
    const { chunks, error } = await drain(stream);
    assert.equal(error, undefined);
    assert.ok(chunks.length >= 3);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.ok(text.length > 0);
    const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
    assert.equal(finishes.length, 1);
    const last = chunks[chunks.length - 1];
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage.cost > 0);
    for (const c of chunks) assert.equal(typeof c.provider, 'string');
  });

  it('provider preferences as extra body fields route the request', async () => {
    const data = await orClient().chat.completions.create({ ...ask(), provider: { order: ['groq'], allow_fallbacks: false } });
    assert.equal(data.provider, 'Groq');
    const cheap = await orClient().chat.completions.create({ ...ask(), provider: { sort: 'price' } });
    assert.equal(cheap.provider, 'Chutes');
  });

  it('tools with no tool-capable endpoint: 404 NotFoundError', async () => {
    const err = await rejectsWith(
      orClient().chat.completions.create({ ...ask({ model: 'mistralai/mistral-7b-instruct' }), tools: WEATHER_TOOLS }),
      OpenAI.NotFoundError);
    assert.match(err.message, /No endpoints found that support tool use/);
  });

  it('unknown provider keys: 400 BadRequestError', async () => {
    const err = await rejectsWith(orClient().chat.completions.create({ ...ask(), provider: { allow: ['x'] } }),
      OpenAI.BadRequestError);
    assert.match(err.message, /Unrecognized key\(s\) in object: 'allow'/);
  });

  it('a mid-stream error chunk (finish_reason "error") makes the SDK throw', async () => {
    await setFaults([{ kind: 'mid_stream_error', status: 502, after_events: 2, match: { path: '/api/v1/chat/completions', stream: true } }]);
    const stream = await orClient().chat.completions.create(ask({ stream: true }));
    const { chunks, error } = await drain(stream);
    assert.ok(error instanceof OpenAI.APIError, `expected APIError, got ${error}`);
    assert.ok(chunks.length >= 1);
  });

  it('GET /models lists the catalog', async () => {
    const res = await fetch(`${OR_BASE}/models`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.ok(body.data.length >= 10);
    assert.equal(typeof body.data[0].pricing.prompt, 'string');
  });
});
