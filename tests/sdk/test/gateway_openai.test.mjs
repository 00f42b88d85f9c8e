// The official `openai` SDK, unchanged except baseURL, against `ploke-sim gateway --sim`
// (run by tests/sdk/run_gateway.sh): every call goes through the resilience core to two
// simulators (sim-a, sim-b). Non-stream, stream (+usage), tools (incl. the SDK's strict
// ChatCompletionStream accumulator), errors (SDK classes and status), a mid-stream error,
// fallback when the primary fails, overrides and the trace header + admin API.
// Skipped under run.sh (no gateway there).
import { describe, it, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { GW, SIM_A, SIM_B, skip, post, get, faults, reset, httpError, rejectsWith } from './gateway_helpers.mjs';

const MODEL = 'gpt-4o-mini';

const client = (opts = {}) => new OpenAI({ apiKey: 'sk-FAKE-gateway-test-0123456789', baseURL: `${GW}/v1`, ...opts });
const hello = (extra = {}) => ({ model: MODEL, messages: [{ role: 'user', content: 'Say hello.' }], ...extra });
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


describe('gateway (openai SDK): chat completions', { skip }, () => {
  beforeEach(reset);
  after(reset);

  it('non-stream: shape, usage, trace id header and admin trace', async () => {
    const { data, response } = await client().chat.completions.create(hello()).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(typeof data.choices[0].message.content, 'string');
    assert.ok(data.choices[0].message.content.length > 0);
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.ok(data.usage.total_tokens > 0);
    const traceId = response.headers.get('x-ploke-trace-id');
    assert.match(traceId, /^gw-/);
    assert.equal(response.headers.get('x-request-id'), traceId);
    const t = await get(`${GW}/__admin/traces/${traceId}`);
    assert.equal(t.status, 200);
    assert.equal(t.body.request_id, traceId);
    assert.ok(t.body.attempts.length >= 1);
    const list = await get(`${GW}/__admin/traces?limit=5`);
    assert.ok(list.body.traces.some((x) => x.request_id === traceId));
  });

  it('stream with include_usage: deltas, one finish, final usage chunk', async () => {
    const stream = await client().chat.completions.create(hello({ stream: true, stream_options: { include_usage: true } }));
    let text = '';
    let finishes = 0;
    let usage;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        if (c.finish_reason) finishes += 1;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(text.length > 0);
    assert.equal(finishes, 1);
    assert.ok(usage.completion_tokens > 0);
  });

  it('tools: forced call non-stream and via ChatCompletionStream', async () => {
    const c = await client().chat.completions.create(hello({ tools: TOOLS, tool_choice: 'required' }));
    assert.equal(c.choices[0].finish_reason, 'tool_calls');
    const call = c.choices[0].message.tool_calls[0];
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.equal(typeof JSON.parse(call.function.arguments).city, 'string');
    // The SDK's accumulator throws on a tool call missing `type` or changing identity.
    const final = await client()
      .chat.completions.stream(hello({ tools: TOOLS, tool_choice: 'required' }))
      .finalChatCompletion();
    const sc = final.choices[0].message.tool_calls[0];
    assert.equal(sc.function.name, 'get_weather');
    assert.equal(typeof JSON.parse(sc.function.arguments).city, 'string');
    // A tool result answered with text.
    const answer = await client().chat.completions.create({
      model: MODEL,
      tools: TOOLS,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"temp": 21}' },
      ],
    });
    assert.equal(answer.choices[0].finish_reason, 'stop');
    assert.ok(answer.choices[0].message.content.length > 0);
  });

  it('models list', async () => {
    const ids = [];
    for await (const m of client().models.list()) ids.push(m.id);
    assert.deepEqual(ids, [MODEL]);
  });
});

describe('gateway (openai SDK): errors keep their SDK class', { skip }, () => {
  beforeEach(reset);
  after(reset);

  it('bad client input: BadRequestError 400 naming the field', async () => {
    const err = await rejectsWith(client().chat.completions.create({ model: MODEL, messages: [] }), OpenAI.BadRequestError);
    assert.equal(err.status, 400);
    assert.match(err.message, /messages/);
    const err2 = await rejectsWith(
      client().chat.completions.create(hello({ temperature: 'hot' })),
      OpenAI.BadRequestError,
    );
    assert.equal(err2.param, 'temperature');
  });

  const cases = [
    [429, OpenAI.RateLimitError, 429],
    [401, OpenAI.AuthenticationError, 401],
    [403, OpenAI.PermissionDeniedError, 403],
    [500, OpenAI.InternalServerError, 500],
    [529, OpenAI.InternalServerError, 503],
  ];
  for (const [upstream, cls, status] of cases) {
    it(`every upstream answers ${upstream}: ${cls.name} ${status}`, async () => {
      await faults('both', [httpError(upstream)]);
      const err = await rejectsWith(client({ maxRetries: 0 }).chat.completions.create(hello()), cls);
      assert.equal(err.status, status);
      assert.match(err.headers.get('x-ploke-trace-id') ?? '', /^gw-/);
    });
  }

  it('unknown routing policy header: BadRequestError', async () => {
    const err = await rejectsWith(
      client({ defaultHeaders: { 'x-ploke-policy': 'fastest' } }).chat.completions.create(hello()),
      OpenAI.BadRequestError,
    );
    assert.match(err.message, /x-ploke-policy/);
  });

  it('mid-stream failure: the SDK raises APIError while iterating', async () => {
    await faults('both', [{ kind: 'mid_stream_error', after_events: 3, status: 500 }]);
    const stream = await client({ maxRetries: 0 }).chat.completions.create(hello({ stream: true }));
    let err;
    let text = '';
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof OpenAI.APIError, `expected APIError, got ${err}`);
    assert.ok(text.length > 0);
  });
});

describe('gateway (openai SDK): fallback and overrides', { skip }, () => {
  beforeEach(reset);
  after(reset);

  it('primary fails → served by the fallback, the client sees a success', async () => {
    await faults(SIM_A, [httpError(500, { should_retry: false })]);
    for (let i = 0; i < 4; i++) {
      const { data, response } = await client({ maxRetries: 0, defaultHeaders: { 'x-ploke-policy': 'pinned' } })
        .chat.completions.create(hello())
        .withResponse();
      assert.ok(data.choices[0].message.content.length > 0);
      const t = (await get(`${GW}/__admin/traces/${response.headers.get('x-ploke-trace-id')}`)).body;
      assert.match(t.served_by, /^sim-b/);
    }
    // Streams too (the failure came before any content).
    const final = await client({ maxRetries: 0, defaultHeaders: { 'x-ploke-policy': 'pinned' } })
      .chat.completions.stream(hello())
      .finalChatCompletion();
    assert.ok(final.choices[0].message.content.length > 0);
  });

  it('x-ploke-provider pins a provider; a failing pin is not rerouted', async () => {
    const { response } = await client({ defaultHeaders: { 'x-ploke-provider': 'sim-b' } })
      .chat.completions.create(hello())
      .withResponse();
    const t = (await get(`${GW}/__admin/traces/${response.headers.get('x-ploke-trace-id')}`)).body;
    assert.match(t.served_by, /^sim-b/);
    await faults(SIM_B, [httpError(503, { should_retry: false })]);
    await rejectsWith(
      client({ maxRetries: 0, defaultHeaders: { 'x-ploke-provider': 'sim-b' } }).chat.completions.create(hello()),
      OpenAI.InternalServerError,
    );
  });

  it('OpenRouter-style provider preferences and models list in the body', async () => {
    const { response } = await client()
      .chat.completions.create({ ...hello(), provider: { order: ['sim-b'], allow_fallbacks: false } })
      .withResponse();
    const t = (await get(`${GW}/__admin/traces/${response.headers.get('x-ploke-trace-id')}`)).body;
    assert.match(t.served_by, /^sim-b/);
    const m = await client().chat.completions.create({ ...hello(), model: 'unknown/model', models: ['sim-a/gpt-4o-mini'] });
    assert.ok(m.choices[0].message.content.length > 0);
  });

  it('metrics and health', async () => {
    const res = await fetch(`${GW}/metrics`);
    const text = await res.text();
    assert.match(text, /ploke_gateway_requests_total\{protocol="openai",class="2xx"\} \d+/);
    const h = await get(`${GW}/__admin/health`);
    assert.equal(h.body.endpoints.length, 2);
  });
});
