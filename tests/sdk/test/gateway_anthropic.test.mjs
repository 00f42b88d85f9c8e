// The official `@anthropic-ai/sdk`, unchanged except baseURL, against `ploke-sim gateway
// --sim` (run by tests/sdk/run_gateway.sh): Anthropic Messages translated into the core's
// normalized request and served by OpenAI-protocol simulators. Non-stream, stream
// (MessageStream), tool use, errors (SDK classes and status), a mid-stream error event,
// fallback when the primary fails. Skipped under run.sh.
import { describe, it, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { GW, SIM_A, SIM_B, skip, post, faults, reset, httpError, rejectsWith } from './gateway_helpers.mjs';

const MODEL = 'claude-sonnet-4-6';

const client = (opts = {}) => new Anthropic({ apiKey: 'sk-ant-FAKE-gateway-test-0123456789', baseURL: GW, ...opts });
const hello = (extra = {}) => ({ model: MODEL, max_tokens: 128, messages: [{ role: 'user', content: 'Say hello.' }], ...extra });
const WEATHER = [
  {
    name: 'get_weather',
    description: 'Current weather for a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];


describe('gateway (anthropic SDK): messages', { skip }, () => {
  beforeEach(reset);
  after(reset);

  it('non-stream message: shape, usage, request id = trace id', async () => {
    const { data, response } = await client().messages.create(hello()).withResponse();
    assert.equal(data.type, 'message');
    assert.equal(data.role, 'assistant');
    assert.match(data.id, /^msg_/);
    assert.equal(data.content[0].type, 'text');
    assert.ok(data.content[0].text.length > 0);
    assert.equal(data.stop_reason, 'end_turn');
    assert.ok(data.usage.output_tokens > 0);
    assert.equal(response.headers.get('request-id'), response.headers.get('x-ploke-trace-id'));
  });

  it('stream: MessageStream assembles the message; events in order', async () => {
    const stream = client().messages.stream(hello());
    const types = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const msg = await stream.finalMessage();
    assert.ok(msg.content[0].text.length > 0);
    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
    assert.ok(types.includes('content_block_delta'));
    assert.equal(msg.stop_reason, 'end_turn');
  });

  it('tool use (forced), non-stream and streamed', async () => {
    const msg = await client().messages.create(hello({ tools: WEATHER, tool_choice: { type: 'any' } }));
    assert.equal(msg.stop_reason, 'tool_use');
    const tu = msg.content.find((b) => b.type === 'tool_use');
    assert.equal(tu.name, 'get_weather');
    assert.equal(typeof tu.input.city, 'string');
    const streamed = await client().messages.stream(hello({ tools: WEATHER, tool_choice: { type: 'any' } })).finalMessage();
    const stu = streamed.content.find((b) => b.type === 'tool_use');
    assert.equal(typeof stu.input.city, 'string');
    // The tool result, answered with text.
    const answer = await client().messages.create({
      model: MODEL,
      max_tokens: 64,
      tools: WEATHER,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: msg.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: tu.id, content: '21 C' }] },
      ],
    });
    assert.equal(answer.content[0].type, 'text');
  });

  it('models list in Anthropic shape', async () => {
    const page = await client().models.list();
    assert.equal(page.data[0].type, 'model');
  });

  it('Anthropic-native ids over an OpenAI upstream: msg_ and toolu_ (24 base62), stable across a stream', async () => {
    const native = (prefix) => new RegExp(`^${prefix}[0-9A-Za-z]{24}$`);
    const msg = await client().messages.create(hello({ tools: WEATHER, tool_choice: { type: 'any' } }));
    assert.match(msg.id, native('msg_'));
    for (const b of msg.content.filter((x) => x.type === 'tool_use')) assert.match(b.id, native('toolu_'));
    const stream = client().messages.stream(hello({ tools: WEATHER, tool_choice: { type: 'any' } }));
    const starts = [];
    stream.on('streamEvent', (e) => {
      if (e.type === 'message_start') starts.push(e.message.id);
    });
    const fin = await stream.finalMessage();
    assert.match(fin.id, native('msg_'));
    assert.deepEqual(starts, [fin.id]);
    assert.match(fin.content.find((b) => b.type === 'tool_use').id, native('toolu_'));
    assert.notEqual(fin.id, msg.id);
  });

  it('models.retrieve(id) and messages.countTokens', async () => {
    const page = await client().models.list();
    const one = await client().models.retrieve(page.data[0].id);
    assert.equal(one.id, page.data[0].id);
    assert.equal(one.type, 'model');
    assert.equal(one.lifecycle, 'active');
    await assert.rejects(client({ maxRetries: 0 }).models.retrieve('no-such-model'), Anthropic.NotFoundError);
    const count = await client().messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Say hello to the gateway.' }] });
    assert.ok(Number.isInteger(count.input_tokens) && count.input_tokens > 0, JSON.stringify(count));
    await assert.rejects(
      client({ maxRetries: 0 }).messages.countTokens({ model: MODEL, messages: [] }),
      Anthropic.BadRequestError,
    );
  });
});

describe('gateway (anthropic SDK): errors keep their SDK class', { skip }, () => {
  beforeEach(reset);
  after(reset);

  it('missing max_tokens: BadRequestError 400 invalid_request_error', async () => {
    const err = await rejectsWith(
      client().messages.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
      Anthropic.BadRequestError,
    );
    assert.equal(err.status, 400);
    assert.equal(err.error.error.type, 'invalid_request_error');
    assert.match(err.message, /max_tokens/);
  });

  const cases = [
    [429, Anthropic.RateLimitError, 429, 'rate_limit_error'],
    [401, Anthropic.AuthenticationError, 401, 'authentication_error'],
    [529, Anthropic.InternalServerError, 529, 'overloaded_error'],
    [500, Anthropic.InternalServerError, 500, 'api_error'],
  ];
  for (const [upstream, cls, status, type] of cases) {
    it(`every upstream answers ${upstream}: ${cls.name} ${status} ${type}`, async () => {
      await faults('both', [httpError(upstream)]);
      const err = await rejectsWith(client({ maxRetries: 0 }).messages.create(hello()), cls);
      assert.equal(err.status, status);
      assert.equal(err.error.error.type, type);
      assert.match(err.requestID ?? '', /^gw-/);
    });
  }

  it('mid-stream failure: event: error raises APIError', async () => {
    await faults('both', [{ kind: 'mid_stream_error', after_events: 3, status: 500 }]);
    await rejectsWith(client({ maxRetries: 0 }).messages.stream(hello()).finalMessage(), Anthropic.APIError);
  });
});

describe('gateway (anthropic SDK): fallback', { skip }, () => {
  beforeEach(reset);
  after(reset);

  it('primary fails → served by the fallback', async () => {
    await faults(SIM_A, [httpError(529, { should_retry: false })]);
    for (let i = 0; i < 3; i++) {
      const msg = await client({ maxRetries: 0, defaultHeaders: { 'x-ploke-policy': 'pinned' } }).messages.create(hello());
      assert.ok(msg.content[0].text.length > 0);
    }
    const msg = await client({ maxRetries: 0, defaultHeaders: { 'x-ploke-policy': 'pinned' } }).messages.stream(hello()).finalMessage();
    assert.ok(msg.content[0].text.length > 0);
  });
});
