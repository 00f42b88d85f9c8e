// The official `openai` SDK's Responses API, unchanged except baseURL, against `ploke-sim
// gateway --sim` (run by tests/sdk/run_gateway.sh): a Responses request translated into the
// core's normalized request and served by the OpenAI-protocol simulators behind the gateway
// (Chat Completions upstream), then answered as a Response and its typed stream. Non-stream,
// stream (every event validated against the published ResponseStreamEvent branch its type
// names), function tools and a follow-up carrying the whole conversation, a follow-up by
// previous_response_id (the gateway keeps the responses), retrieve and delete, fallback, an
// in-stream error. Skipped under run.sh.
import { describe, it, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { GW, SIM_A, skip, faults, reset, httpError, rejectsWith } from './gateway_helpers.mjs';
import { assertShape, assertResponseEvent } from './shapes.mjs';

const MODEL = 'gpt-4o';
const client = (opts = {}) => new OpenAI({ apiKey: 'sk-FAKE-gateway-responses-0123456789', baseURL: `${GW}/v1`, ...opts });
const TOOLS = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: true,
  },
];

describe('gateway (openai SDK): responses', { skip }, () => {
  beforeEach(reset);
  after(reset);

  it('non-stream: a Response with output_text; request id = trace id', async () => {
    const { data, response } = await client()
      .responses.create({ model: MODEL, input: 'Say hello.', instructions: 'Be brief.' })
      .withResponse();
    assertShape('openai', 'Response', data, 'response');
    assert.match(data.id, /^resp_/);
    assert.equal(data.status, 'completed');
    assert.equal(data.instructions, 'Be brief.');
    assert.ok(data.output_text.length > 0);
    assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0);
    assert.equal(response.headers.get('x-request-id'), response.headers.get('x-ploke-trace-id'));
  });

  it('stream: typed events in order, each a valid ResponseStreamEvent; text equals the final output', async () => {
    const stream = await client().responses.create({ model: MODEL, input: 'Say hello.', stream: true });
    const events = [];
    for await (const e of stream) events.push(e);
    events.forEach((e, i) => {
      assertResponseEvent(e, `event ${i} (${e.type})`);
      assert.equal(e.sequence_number, i);
    });
    assert.equal(events[0].type, 'response.created');
    assert.equal(events.at(-1).type, 'response.completed');
    const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    assert.equal(text, events.at(-1).response.output[0].content[0].text);
    assert.ok(events.at(-1).response.usage.output_tokens > 0);
  });

  it('function tools: a function_call, then the whole conversation with its output', async () => {
    const c = client();
    const first = await c.responses.create({ model: MODEL, input: 'Weather in Paris?', tools: TOOLS, tool_choice: 'required' });
    assertShape('openai', 'Response', first, 'tool call response');
    const call = first.output.find((o) => o.type === 'function_call');
    assert.ok(call);
    assert.equal(call.name, 'get_weather');
    assert.equal(typeof JSON.parse(call.arguments).city, 'string');
    const streamed = await c.responses.stream({ model: MODEL, input: 'Weather?', tools: TOOLS, tool_choice: 'required' }).finalResponse();
    const scall = streamed.output.find((o) => o.type === 'function_call');
    assert.equal(typeof JSON.parse(scall.arguments).city, 'string');
    const second = await c.responses.create({
      model: MODEL,
      tools: TOOLS,
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' },
      ],
    });
    assertShape('openai', 'Response', second, 'answer');
    assert.ok(second.output_text.length > 0);
  });

  it('previous_response_id continues a stored response; retrieve and delete', async () => {
    const c = client();
    const first = await c.responses.create({ model: MODEL, input: 'Weather in Paris?', tools: TOOLS, tool_choice: 'required' });
    const call = first.output.find((o) => o.type === 'function_call');
    assert.ok(call);
    const second = await c.responses.create({
      model: MODEL,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' }],
      tools: TOOLS,
    });
    assertShape('openai', 'Response', second, 'follow-up response');
    assert.equal(second.previous_response_id, first.id);
    assert.ok(second.output_text.length > 0);
    assert.ok(second.usage.input_tokens > first.usage.input_tokens, 'the previous context counts');
    const streamed = await c.responses.stream({ model: MODEL, previous_response_id: second.id, input: 'And tomorrow?' }).finalResponse();
    assert.ok(streamed.usage.input_tokens > second.usage.input_tokens);
    const got = await c.responses.retrieve(streamed.id);  // (finalResponse() adds the SDK's `parsed` fields)
    assertShape('openai', 'Response', got, 'retrieved response');
    assert.equal(got.output_text, streamed.output_text);
    assert.deepEqual(got.usage, streamed.usage);
    await c.responses.delete(streamed.id);
    await rejectsWith(c.responses.retrieve(streamed.id), OpenAI.NotFoundError);
    const e = await rejectsWith(c.responses.create({ model: MODEL, input: 'x', previous_response_id: streamed.id }), OpenAI.BadRequestError);
    assert.equal(e.code, 'previous_response_not_found');
  });

  it('the API 400s are BadRequestError naming the param', async () => {
    let e = await rejectsWith(client().responses.create({ model: MODEL, input: 'x', previous_response_id: 'resp_1' }), OpenAI.BadRequestError);
    assert.equal(e.param, 'previous_response_id');
    assert.equal(e.code, 'previous_response_not_found');
    e = await rejectsWith(client().responses.create({ model: MODEL, input: 'x', max_output_tokens: 5 }), OpenAI.BadRequestError);
    assert.equal(e.param, 'max_output_tokens');
    assert.equal(e.code, 'integer_below_min_value');
  });

  it('the primary fails: served by the fallback', async () => {
    await faults(SIM_A, [httpError(500, { should_retry: false })]);
    const r = await client({ maxRetries: 0 }).responses.create({ model: MODEL, input: 'Say hello.' });
    assert.equal(r.status, 'completed');
    const s = await client({ maxRetries: 0 }).responses.stream({ model: MODEL, input: 'Say hello.' }).finalResponse();
    assert.ok(s.output_text.length > 0);
  });

  it('an upstream failure after the first bytes ends the stream with the error event', async () => {
    const mid = { kind: 'mid_stream_error', status: 500, after_events: 3 };
    await faults('both', [mid]);
    const stream = await client({ maxRetries: 0 }).responses.create({ model: MODEL, input: 'Say hello.', stream: true });
    const events = [];
    for await (const e of stream) events.push(e);
    const last = events.at(-1);
    assert.equal(last.type, 'error');
    assertResponseEvent(last, 'error event');
    assert.equal(last.sequence_number, events.length - 1);
    assert.doesNotMatch(last.message, /sim-a|sim-b|upstream/);
  });
});
