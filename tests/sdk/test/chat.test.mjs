// Happy paths: the official SDK against the simulator with no faults.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { client, hello, MODEL, clearFaults, drain, journalMark, rejectsWith, WEATHER_TOOLS } from './helpers.mjs';

beforeEach(clearFaults);

function assertUsage(u) {
  assert.ok(u, 'usage present');
  for (const k of ['prompt_tokens', 'completion_tokens', 'total_tokens']) {
    assert.ok(Number.isInteger(u[k]) && u[k] >= 0, `usage.${k} is a non-negative integer`);
  }
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
}

describe('chat completions, non-stream', () => {
  it('returns a chat.completion the SDK parses', async () => {
    const { data, response, request_id } = await client().chat.completions.create(hello()).withResponse();
    assert.match(response.headers.get('content-type'), /^application\/json/);
    assert.ok(request_id, 'x-request-id header (exposed as request_id)');
    for (const h of ['openai-processing-ms', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests',
      'x-ratelimit-reset-requests', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens']) {
      assert.ok(response.headers.get(h) !== null, `header ${h}`);
    }
    assert.match(response.headers.get('x-ratelimit-reset-requests'), /^(\d+h)?(\d+m)?(\d+(\.\d+)?(ms|s))?$/, 'reset is a duration');
    assert.equal(data.object, 'chat.completion');
    assert.match(data.id, /^chatcmpl-/);
    assert.ok(Number.isInteger(data.created));
    assert.ok(typeof data.model === 'string' && data.model.startsWith(MODEL));
    assert.equal(data.choices.length, 1);
    const c = data.choices[0];
    assert.equal(c.index, 0);
    assert.equal(c.message.role, 'assistant');
    assert.equal(typeof c.message.content, 'string');
    assert.ok(c.message.content.length > 0);
    assert.equal(c.finish_reason, 'stop');
    assertUsage(data.usage);
  });

  it('honours max_completion_tokens with finish_reason "length"', async () => {
    const data = await client().chat.completions.create(hello({ max_completion_tokens: 2 }));
    assert.equal(data.choices[0].finish_reason, 'length');
    assert.ok(data.usage.completion_tokens <= 2);
  });

  it('sends x-stainless-retry-count 0 on a first attempt (journal)', async () => {
    const mark = await journalMark();
    await client().chat.completions.create(hello());
    const entries = await mark.entries();
    assert.equal(entries.length, 1);
    assert.equal(entries[0].retry_count, 0);
    assert.equal(entries[0].status, 200);
  });

  it('unknown model -> 404 NotFoundError (model_not_found), not retried', async () => {
    const mark = await journalMark();
    const err = await rejectsWith(client().chat.completions.create(hello({ model: 'gpt-nope' })), OpenAI.NotFoundError);
    assert.equal(err.status, 404);
    assert.equal(err.code, 'model_not_found');
    assert.equal(err.type, 'invalid_request_error');
    assert.ok(err.requestID, 'error.requestID from x-request-id');
    assert.deepEqual((await mark.entries()).map((e) => e.retry_count), [0]);
  });

  it('a tool message without preceding tool_calls -> 400 BadRequestError', async () => {
    const err = await rejectsWith(
      client().chat.completions.create({
        model: MODEL,
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'tool', tool_call_id: 'call_x', content: '42' },
        ],
      }),
      OpenAI.BadRequestError,
    );
    assert.equal(err.status, 400);
    assert.equal(err.type, 'invalid_request_error');
    assert.match(err.message, /must be a response to a preceeding message with 'tool_calls'/);
  });
});

describe('chat completions, stream', () => {
  it('for await over chunks assembles text; include_usage adds a final usage chunk', async () => {
    const stream = await client().chat.completions.create(
      hello({ stream: true, stream_options: { include_usage: true } }),
    );
    const { chunks, error } = await drain(stream);
    assert.equal(error, undefined, `stream threw: ${error}`);
    assert.ok(chunks.length >= 3, 'several chunks');
    const ids = new Set(chunks.map((c) => c.id));
    assert.equal(ids.size, 1, 'same id in every chunk');
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1, 'same created in every chunk');
    assert.equal(new Set(chunks.map((c) => c.model)).size, 1, 'same model in every chunk');
    for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');

    const last = chunks.at(-1);
    assert.deepEqual(last.choices, [], 'usage chunk has choices: []');
    assertUsage(last.usage);
    for (const c of chunks.slice(0, -1)) assert.equal(c.usage, null, 'usage: null on every other chunk');

    const content = chunks.slice(0, -1);
    assert.equal(content[0].choices[0].delta.role, 'assistant', 'first delta carries role');
    const finishes = content.flatMap((c) => c.choices.filter((ch) => ch.finish_reason != null));
    assert.equal(finishes.length, 1, 'finish_reason set exactly once');
    assert.equal(finishes[0].finish_reason, 'stop');
    assert.equal(content.at(-1).choices[0].finish_reason, 'stop', 'on the final delta');
    const text = content.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.ok(text.length > 0, 'text assembled');
  });

  it('without include_usage there is no usage key', async () => {
    const stream = await client().chat.completions.create(hello({ stream: true }));
    const { chunks, error } = await drain(stream);
    assert.equal(error, undefined);
    assert.ok(chunks.length >= 2);
    for (const c of chunks) {
      assert.ok(!('usage' in c), `unexpected usage key: ${JSON.stringify(c)}`);
      assert.equal(c.choices.length, 1);
    }
  });

  it('streams with text/event-stream', async () => {
    const { data: stream, response } = await client()
      .chat.completions.create(hello({ stream: true }))
      .withResponse();
    assert.match(response.headers.get('content-type'), /^text\/event-stream/);
    await drain(stream);
  });

  it('chat.completions.stream() helper: events and finalChatCompletion()', async () => {
    const runner = client().chat.completions.stream(hello({ stream_options: { include_usage: true } }));
    let deltas = '';
    runner.on('content', (delta) => {
      deltas += delta;
    });
    const final = await runner.finalChatCompletion();
    assert.equal(final.object, 'chat.completion');
    assert.equal(final.choices[0].message.role, 'assistant');
    assert.equal(final.choices[0].finish_reason, 'stop');
    assert.ok(final.choices[0].message.content.length > 0);
    assert.equal(final.choices[0].message.content, deltas);
    assert.equal(await runner.finalContent(), deltas);
    assertUsage(final.usage);
  });

  it('n=2 interleaves two choices; each gets its own finish_reason', async () => {
    const stream = await client().chat.completions.create(hello({ stream: true, n: 2 }));
    const { chunks, error } = await drain(stream);
    assert.equal(error, undefined);
    const texts = ['', ''];
    const finishes = [0, 0];
    for (const c of chunks) {
      for (const ch of c.choices) {
        texts[ch.index] += ch.delta.content ?? '';
        if (ch.finish_reason) finishes[ch.index]++;
      }
    }
    assert.deepEqual(finishes, [1, 1]);
    assert.ok(texts[0].length > 0 && texts[1].length > 0);
  });
});

// Real OpenAI answers a two-tool question with parallel_tool_calls:true with two calls;
// the simulator makes one call per offered tool (SimOptions::n_tool_calls = 0).

describe('tool calls', () => {
  const toolRequest = (extra = {}) =>
    hello({
      messages: [{ role: 'user', content: 'Weather in Paris and the time in CET?' }],
      tools: WEATHER_TOOLS,
      tool_choice: 'required',
      parallel_tool_calls: true,
      ...extra,
    });
  const names = new Set(WEATHER_TOOLS.map((t) => t.function.name));

  function checkCalls(calls) {
    assert.ok(Array.isArray(calls) && calls.length >= 1, 'at least one tool call');
    const ids = new Set();
    for (const tc of calls) {
      assert.equal(tc.type, 'function');
      assert.ok(typeof tc.id === 'string' && tc.id.length > 0, 'tool call id');
      assert.ok(!ids.has(tc.id), 'tool call ids are unique');
      ids.add(tc.id);
      assert.ok(names.has(tc.function.name), `known tool name, got ${tc.function.name}`);
      const args = JSON.parse(tc.function.arguments);
      assert.equal(typeof args, 'object');
    }
  }

  it('non-stream: tool_calls with JSON arguments, finish_reason tool_calls', async () => {
    const data = await client().chat.completions.create(toolRequest());
    const c = data.choices[0];
    assert.equal(c.finish_reason, 'tool_calls');
    assert.equal(c.message.content, null);
    checkCalls(c.message.tool_calls);
  });

  it('non-stream: parallel_tool_calls gives two or more calls', async () => {
    const data = await client().chat.completions.create(toolRequest());
    const calls = data.choices[0].message.tool_calls;
    assert.ok(calls.length >= 2, `expected parallel tool calls, got ${calls.length}`);
    checkCalls(calls);
  });

  it('stream: first fragment per index has id/type/name, later ones only arguments', async () => {
    const stream = await client().chat.completions.create(toolRequest({ stream: true }));
    const { chunks, error } = await drain(stream);
    assert.equal(error, undefined, `stream threw: ${error}`);
    const seen = new Map(); // index -> {id, name, args}
    let finish;
    for (const c of chunks) {
      for (const ch of c.choices) {
        if (ch.finish_reason) finish = ch.finish_reason;
        for (const tc of ch.delta.tool_calls ?? []) {
          if (!seen.has(tc.index)) {
            assert.ok(tc.id, `first fragment of index ${tc.index} has id`);
            assert.equal(tc.type, 'function', `first fragment of index ${tc.index} has type`);
            assert.ok(tc.function?.name, `first fragment of index ${tc.index} has a name`);
            seen.set(tc.index, { id: tc.id, type: tc.type, function: { name: tc.function.name, arguments: tc.function.arguments ?? '' } });
          } else {
            assert.equal(tc.type, undefined, 'type only in the first fragment');
            assert.equal(tc.function?.name, undefined, 'name only in the first fragment');
            seen.get(tc.index).function.arguments += tc.function?.arguments ?? '';
          }
        }
      }
    }
    assert.equal(finish, 'tool_calls');
    checkCalls([...seen.values()]);
  });

  it('stream() accumulator: finalChatCompletion() with parsed-able arguments, no identity errors', async () => {
    const runner = client().chat.completions.stream(toolRequest());
    const doneArgs = [];
    runner.on('tool_calls.function.arguments.done', (e) => doneArgs.push(e));
    const final = await runner.finalChatCompletion();
    const c = final.choices[0];
    assert.equal(c.finish_reason, 'tool_calls');
    checkCalls(c.message.tool_calls);
    assert.equal(doneArgs.length, c.message.tool_calls.length);
    for (const e of doneArgs) JSON.parse(e.arguments);
  });

  it('stream() accumulator with parallel calls gives two or more calls', async () => {
    const final = await client().chat.completions.stream(toolRequest()).finalChatCompletion();
    const calls = final.choices[0].message.tool_calls;
    assert.ok(calls.length >= 2, `expected parallel tool calls, got ${calls.length}`);
    checkCalls(calls);
  });

  it('round trip: tool results sent back get a text answer', async () => {
    const first = await client().chat.completions.create(toolRequest());
    const msg = first.choices[0].message;
    const followUp = await client().chat.completions.create({
      model: MODEL,
      tools: WEATHER_TOOLS,
      messages: [
        { role: 'user', content: 'Weather in Paris and the time in CET?' },
        msg,
        ...msg.tool_calls.map((tc) => ({ role: 'tool', tool_call_id: tc.id, content: '{"ok":true}' })),
      ],
    });
    assert.equal(followUp.choices[0].finish_reason, 'stop');
    assert.equal(typeof followUp.choices[0].message.content, 'string');
  });
});

describe('models', () => {
  it('models.list() returns model objects (auto-pagination works)', async () => {
    const ids = [];
    for await (const m of client().models.list()) {
      assert.equal(m.object, 'model');
      assert.ok(Number.isInteger(m.created));
      assert.equal(typeof m.owned_by, 'string');
      ids.push(m.id);
    }
    assert.ok(ids.includes(MODEL), `list includes ${MODEL}: ${ids}`);
  });

  it('models.retrieve(id)', async () => {
    const m = await client().models.retrieve(MODEL);
    assert.equal(m.id, MODEL);
    assert.equal(m.object, 'model');
  });

  it('models.retrieve(unknown) -> NotFoundError', async () => {
    const err = await rejectsWith(client().models.retrieve('no-such-model'), OpenAI.NotFoundError);
    assert.equal(err.status, 404);
  });
});
