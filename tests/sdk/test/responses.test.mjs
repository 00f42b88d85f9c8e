// The Responses API (POST /v1/responses, GET /v1/responses/{id}) through the official
// `openai` SDK, unchanged: responses.create (plain, stream, function tools, the follow-up with
// previous_response_id), responses.stream().finalResponse(), responses.retrieve(), the SDK's
// errors for the API's 400s and for faults (429 retried, a mid-stream `error` event). Bodies
// and stream events are validated against the published OpenAI schemas (Response,
// ResponseStreamEvent).
import { describe, it, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { client, MODEL, clearFaults, setFaults, journalMark, retryCounts, rejectsWith } from './helpers.mjs';
import { assertShape, assertResponseEvent } from './shapes.mjs';

beforeEach(clearFaults);
after(clearFaults);  // the next file starts without this file's faults

const TOOLS = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: true,
  },
];
const PATH = '/v1/responses';

describe('responses.create', () => {
  it('answers text in a Response the SDK parses (output_text)', async () => {
    const { data, request_id } = await client()
      .responses.create({ model: MODEL, input: 'Say hello.', instructions: 'Be brief.' })
      .withResponse();
    assertShape('openai', 'Response', data, 'response');
    assert.ok(request_id);
    assert.match(data.id, /^resp_[0-9a-f]{48}$/);
    assert.equal(data.status, 'completed');
    assert.equal(data.instructions, 'Be brief.');
    assert.ok(data.output_text.length > 0, 'the SDK joins output_text');
    assert.equal(data.usage.total_tokens, data.usage.input_tokens + data.usage.output_tokens);
  });

  it('streams typed events the SDK iterates, each a valid ResponseStreamEvent', async () => {
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
  });

  it('responses.stream() accumulates the same Response the last event carries', async () => {
    const stream = client().responses.stream({ model: MODEL, input: 'Say hello.' });
    const deltas = [];
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    assertShape('openai', 'Response', final, 'final response');
    assert.equal(final.output_text, deltas.join(''));
  });

  it('calls a function tool, then continues with previous_response_id and the output', async () => {
    const c = client();
    const first = await c.responses.create({ model: MODEL, input: 'Weather in Paris?', tools: TOOLS, tool_choice: 'required' });
    assertShape('openai', 'Response', first, 'tool call response');
    const call = first.output.find((o) => o.type === 'function_call');
    assert.ok(call, 'a function_call item');
    assert.equal(call.name, 'get_weather');
    assert.equal(typeof JSON.parse(call.arguments).city, 'string');
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
    const got = await c.responses.retrieve(second.id);
    assert.deepEqual(got, second);
    await c.responses.delete(second.id);
    await rejectsWith(c.responses.retrieve(second.id), OpenAI.NotFoundError);
  });

  it('a reasoning model: a reasoning item with its summary, reasoning tokens in usage', async () => {
    const c = client();
    const r = await c.responses.create({ model: 'o4-mini', input: 'Think.', reasoning: { effort: 'low', summary: 'auto' } });
    assertShape('openai', 'Response', r, 'reasoning response');
    assert.equal(r.output[0].type, 'reasoning');
    assert.ok(r.output[0].summary[0].text.length > 0);
    assert.ok(r.usage.output_tokens_details.reasoning_tokens > 0);
    assert.deepEqual(r.reasoning, { effort: 'low', summary: 'auto' });
    const stream = await c.responses.create({ model: 'o4-mini', input: 'Think.', stream: true,
      reasoning: { summary: 'detailed' }, include: ['reasoning.encrypted_content'] });
    let summary = '';
    let last;
    for await (const e of stream) {
      assertResponseEvent(e);
      if (e.type === 'response.reasoning_summary_text.delta') summary += e.delta;
      last = e;
    }
    assert.equal(last.response.output[0].summary[0].text, summary);
    assert.match(last.response.output[0].encrypted_content, /^gAAAAA/);
    const e = await rejectsWith(c.responses.create({ model: MODEL, input: 'x', reasoning: { effort: 'low' } }), OpenAI.BadRequestError);
    assert.equal(e.code, 'unsupported_parameter');
  });

  it('streams function-call argument deltas that add up to the arguments', async () => {
    const stream = await client().responses.create({ model: MODEL, input: 'Weather?', tools: TOOLS, tool_choice: 'required', stream: true });
    let args = '';
    let done;
    for await (const e of stream) {
      assertResponseEvent(e);
      if (e.type === 'response.function_call_arguments.delta') args += e.delta;
      if (e.type === 'response.function_call_arguments.done') done = e;
    }
    assert.ok(done);
    assert.equal(args, done.arguments);
  });

  it('ends incomplete at max_output_tokens', async () => {
    // serve answers 8 to 32 tokens: within a few requests one is cut at 16.
    let cut;
    for (let i = 0; i < 20 && !cut; ++i) {
      const r = await client().responses.create({ model: MODEL, input: 'Tell me a long story.', max_output_tokens: 16 });
      assertShape('openai', 'Response', r, 'response');
      assert.ok(r.usage.output_tokens <= 16);
      if (r.status === 'incomplete') cut = r;
      else assert.equal(r.status, 'completed');
    }
    assert.ok(cut, 'one answer reached max_output_tokens');
    assert.equal(cut.incomplete_details.reason, 'max_output_tokens');
    assert.equal(cut.usage.output_tokens, 16);
    assert.equal(cut.output[0].status, 'incomplete');
  });
});

describe('responses errors', () => {
  it('the API 400s reach the SDK as BadRequestError naming the param', async () => {
    const c = client();
    let e = await rejectsWith(c.responses.create({ model: MODEL, input: 'x', max_output_tokens: 5 }), OpenAI.BadRequestError);
    assert.equal(e.param, 'max_output_tokens');
    e = await rejectsWith(c.responses.create({ model: MODEL, input: 'x', previous_response_id: 'resp_nope' }), OpenAI.BadRequestError);
    assert.equal(e.code, 'previous_response_not_found');
    e = await rejectsWith(c.responses.retrieve('resp_nope'), OpenAI.NotFoundError);
    e = await rejectsWith(c.responses.create({ model: 'no-such-model', input: 'x' }), OpenAI.NotFoundError);
    assert.equal(e.code, 'model_not_found');
  });

  it('a 429 is retried by the SDK and then answered', async () => {
    await setFaults([{ id: 'rl', kind: 'http_error', status: 429, retry_after_ms: 10, match: { path: PATH }, trigger: { nth: 1 } }]);
    const mark = await journalMark();
    const r = await client().responses.create({ model: MODEL, input: 'x' });
    assert.equal(r.status, 'completed');
    assert.deepEqual(await retryCounts(mark, PATH), [0, 1]);
  });

  it('a mid-stream error arrives as the `error` event, numbered in sequence', async () => {
    await setFaults([{ id: 'mid', kind: 'mid_stream_error', status: 500, after_events: 3, match: { path: PATH } }]);
    const stream = await client().responses.create({ model: MODEL, input: 'x', stream: true });
    const events = [];
    for await (const e of stream) events.push(e);  // the raw stream yields it (no `error` member)
    assert.equal(events.length, 4);
    const last = events.at(-1);
    assert.equal(last.type, 'error');
    assertResponseEvent(last, 'error event');
    assert.equal(last.sequence_number, 3);
    assert.equal(last.code, 'server_error');
  });
});
