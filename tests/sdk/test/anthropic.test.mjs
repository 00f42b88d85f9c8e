// The official @anthropic-ai/sdk, unchanged except baseURL, against `ploke-sim serve`:
// messages (non-stream, raw stream, MessageStream.finalMessage), tool use, count_tokens,
// models, validation errors, every error class with the SDK's retries, and a mid-stream
// `event: error`. Faults go through the admin API; retries use retry-after-ms so no test
// waits long (one case uses a 1 s retry-after on purpose).
import { describe, it, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { ROOT, setFaults, clearFaults, journalMark, rejectsWith } from './helpers.mjs';

const MESSAGES_PATH = '/v1/messages';
// Not one the SDK warns about as deprecated (its list includes claude-sonnet-4-5).
const MODEL = 'claude-sonnet-4-6';

/** A client as an application builds it, bar baseURL (the SDK appends /v1/... itself). */
const client = (opts = {}) => new Anthropic({ apiKey: 'sk-ant-FAKE-sdk-test-0123456789', baseURL: ROOT, ...opts });

const hello = (extra = {}) => ({
  model: MODEL,
  max_tokens: 128,
  messages: [{ role: 'user', content: 'Say hello.' }],
  ...extra,
});

const WEATHER = [
  {
    name: 'get_weather',
    description: 'Current weather for a city',
    input_schema: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city'],
    },
  },
  {
    name: 'get_time',
    description: 'Current time in a timezone',
    input_schema: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] },
  },
];

const httpError = (status, extra = {}) => ({
  id: `a${status}`,
  kind: 'http_error',
  status,
  retry_after_ms: 10,
  match: { path: MESSAGES_PATH },
  ...extra,
});

beforeEach(clearFaults);
after(clearFaults);

describe('anthropic: messages', () => {
  it('non-stream message: shape, usage, request id', async () => {
    const msg = await client().messages.create(hello());
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.equal(msg.model, MODEL);
    assert.match(msg.id, /^msg_/);
    assert.equal(msg.content[0].type, 'text');
    assert.ok(msg.content[0].text.length > 0);
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.stop_sequence, null);
    assert.ok(msg.usage.input_tokens > 0);
    assert.ok(msg.usage.output_tokens > 0);
    assert.equal(msg.usage.cache_read_input_tokens, 0);
    assert.match(msg._request_id, /^req_/);
  });

  it('withResponse exposes request-id and anthropic-ratelimit-* headers', async () => {
    const { response } = await client().messages.create(hello()).withResponse();
    assert.match(response.headers.get('request-id'), /^req_/);
    assert.ok(Number(response.headers.get('anthropic-ratelimit-requests-limit')) > 0);
    assert.match(response.headers.get('anthropic-ratelimit-requests-reset'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(response.headers.get('anthropic-ratelimit-tokens-remaining'));
  });

  it('max_tokens cap gives stop_reason max_tokens', async () => {
    const msg = await client().messages.create(hello({ max_tokens: 2 }));
    assert.equal(msg.stop_reason, 'max_tokens');
    assert.equal(msg.usage.output_tokens, 2);
  });

  it('raw stream: the event sequence', async () => {
    const stream = await client().messages.create(hello({ stream: true }));
    const types = [];
    let text = '';
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
    }
    assert.equal(types[0], 'message_start');
    assert.equal(types[1], 'content_block_start');
    assert.ok(types.includes('content_block_delta'));
    assert.equal(types.at(-3), 'content_block_stop');
    assert.equal(types.at(-2), 'message_delta');
    assert.equal(types.at(-1), 'message_stop');
    assert.ok(!types.includes('ping'), 'the SDK skips pings');
    assert.ok(text.length > 0);
  });

  it('messages.stream(): text events and finalMessage()', async () => {
    let streamed = '';
    const stream = client().messages.stream(hello()).on('text', (t) => {
      streamed += t;
    });
    const final = await stream.finalMessage();
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(final.content.length, 1);
    assert.equal(final.content[0].text, streamed);
    assert.ok(final.usage.output_tokens > 1, 'message_delta usage merged into the final message');
    assert.ok(final.usage.input_tokens > 0);
  });

  it('system prompt, multi-turn and content blocks are accepted', async () => {
    const msg = await client().messages.create(
      hello({
        system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
          { role: 'assistant', content: 'Hello!' },
          { role: 'user', content: 'And again?' },
        ],
        temperature: 0.2,
        stop_sequences: ['END'],
        metadata: { user_id: 'u-1' },
      }),
    );
    assert.equal(msg.type, 'message');
  });
});

describe('anthropic: tool use', () => {
  it('forced tool: tool_use block with schema-fitted input, then tool_result gets text', async () => {
    const c = client();
    const req = hello({ tools: WEATHER, tool_choice: { type: 'tool', name: 'get_weather' } });
    const msg = await c.messages.create(req);
    assert.equal(msg.stop_reason, 'tool_use');
    const tu = msg.content.find((b) => b.type === 'tool_use');
    assert.ok(tu, JSON.stringify(msg.content));
    assert.equal(tu.name, 'get_weather');
    assert.match(tu.id, /^toolu_/);
    assert.equal(typeof tu.input.city, 'string');
    const answer = await c.messages.create({
      ...req,
      tool_choice: { type: 'auto' },
      messages: [
        ...req.messages,
        { role: 'assistant', content: msg.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: tu.id, content: '18C' }] },
      ],
    });
    assert.equal(answer.stop_reason, 'end_turn');
    assert.equal(answer.content[0].type, 'text');
  });

  it('streamed tool use: finalMessage() assembles input_json_delta fragments', async () => {
    const final = await client()
      .messages.stream(hello({ tools: WEATHER, tool_choice: { type: 'any' } }))
      .finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    const uses = final.content.filter((b) => b.type === 'tool_use');
    assert.equal(uses.length, 2, 'one parallel call per offered tool');
    for (const u of uses) assert.equal(typeof u.input, 'object');
    const w = uses.find((u) => u.name === 'get_weather');
    assert.equal(typeof w.input.city, 'string');
  });

  it('a tool_result without a matching tool_use is a 400', async () => {
    const err = await rejectsWith(
      client().messages.create(
        hello({
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'assistant', content: 'ok' },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nope', content: 'x' }] },
          ],
        }),
      ),
      Anthropic.BadRequestError,
    );
    assert.equal(err.status, 400);
    assert.equal(err.type, 'invalid_request_error');
    assert.match(err.message, /unexpected `tool_use_id`/);
  });
});

describe('anthropic: count_tokens and models', () => {
  it('messages.countTokens', async () => {
    const r = await client().messages.countTokens({
      model: MODEL,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'How many tokens is this sentence, roughly?' }],
    });
    assert.equal(typeof r.input_tokens, 'number');
    assert.ok(r.input_tokens > 5);
  });

  it('models.list in Anthropic shape', async () => {
    const ids = [];
    for await (const m of client().models.list()) {
      assert.equal(m.type, 'model');
      assert.equal(typeof m.display_name, 'string');
      ids.push(m.id);
    }
    assert.ok(ids.includes(MODEL), ids.join(','));
  });
});

describe('anthropic: errors and retries', () => {
  /** Injects `fault`, runs one SDK call, returns {err, counts}. */
  async function failWith(fault, cls, { maxRetries = 2, request = hello() } = {}) {
    await setFaults([fault]);
    const mark = await journalMark();
    const err = await rejectsWith(client({ maxRetries }).messages.create(request), cls);
    const entries = await mark.entries(MESSAGES_PATH);
    return { err, entries, counts: entries.map((e) => e.retry_count) };
  }

  const cases = [
    [400, 'BadRequestError', 'invalid_request_error', false],
    [401, 'AuthenticationError', 'authentication_error', false],
    [403, 'PermissionDeniedError', 'permission_error', false],
    [404, 'NotFoundError', 'not_found_error', false],
    [429, 'RateLimitError', 'rate_limit_error', true],
    [500, 'InternalServerError', 'api_error', true],
    [529, 'OverloadedError', 'overloaded_error', true],
  ];
  for (const [status, clsName, type, retried] of cases) {
    const cls = Anthropic[clsName] ?? Anthropic.APIError;
    it(`${status} -> ${cls.name} (${type})${retried ? ', retried twice' : ', not retried'}`, async () => {
      const { err, counts, entries } = await failWith(httpError(status), cls);
      assert.equal(err.status, status);
      assert.equal(err.type, type);
      assert.equal(err.error.type, 'error', 'Anthropic error envelope');
      assert.equal(typeof err.error.error.message, 'string');
      assert.match(err.requestID, /^req_/);
      assert.equal(err.error.request_id, err.requestID);
      assert.match(err.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(counts, retried ? [0, 1, 2] : [0]);
      for (const e of entries) assert.equal(e.fault_id, `a${status}`);
    });
  }

  it('529 is an InternalServerError too (any >= 500)', async () => {
    const { err } = await failWith(httpError(529), Anthropic.InternalServerError, { maxRetries: 0 });
    assert.equal(err.type, 'overloaded_error');
  });

  it('429 carries retry-after and rate-limit headers; the SDK honours retry-after (1 s) and succeeds', async () => {
    await setFaults([
      { id: 'rl', kind: 'http_error', status: 429, retry_after_s: 1, match: { path: MESSAGES_PATH }, trigger: { nth: 1 } },
    ]);
    const mark = await journalMark();
    const t0 = Date.now();
    const msg = await client().messages.create(hello());
    const waited = Date.now() - t0;
    assert.equal(msg.type, 'message');
    const entries = await mark.entries(MESSAGES_PATH);
    assert.deepEqual(entries.map((e) => e.retry_count), [0, 1]);
    assert.deepEqual(entries.map((e) => e.status), [429, 200]);
    assert.ok(waited >= 900, `slept ${waited} ms for retry-after: 1`);

    const { err } = await failWith(httpError(429, { retry_after_s: 1 }), Anthropic.RateLimitError, { maxRetries: 0 });
    assert.equal(err.headers.get('retry-after'), '1');
    assert.equal(err.headers.get('anthropic-ratelimit-requests-remaining'), '0');
    assert.ok(err.headers.get('anthropic-ratelimit-requests-reset'));
  });

  it('x-should-retry: false stops the retries of a 500', async () => {
    const { counts } = await failWith(httpError(500, { should_retry: false }), Anthropic.InternalServerError);
    assert.deepEqual(counts, [0]);
  });

  it('a pre-stream 529 on stream:true is retried, then the stream succeeds', async () => {
    await setFaults([httpError(529, { trigger: { nth: 1 } })]);
    const mark = await journalMark();
    const final = await client().messages.stream(hello()).finalMessage();
    assert.equal(final.stop_reason, 'end_turn');
    assert.deepEqual((await mark.entries(MESSAGES_PATH)).map((e) => e.retry_count), [0, 1]);
  });

  it('missing max_tokens is the API 400 (not a local check)', async () => {
    const req = hello();
    delete req.max_tokens;
    const { err, counts } = await (async () => {
      const mark = await journalMark();
      const e = await rejectsWith(client().messages.create(req), Anthropic.BadRequestError);
      return { err: e, counts: (await mark.entries(MESSAGES_PATH)).map((x) => x.retry_count) };
    })();
    assert.match(err.message, /max_tokens: Field required/);
    assert.deepEqual(counts, [0]);
  });
});

describe('anthropic: mid-stream error event', () => {
  it('event: error after some events throws APIError (no status, type overloaded_error), not retried', async () => {
    await setFaults([
      { id: 'mse', kind: 'mid_stream_error', status: 529, after_events: 4, match: { path: MESSAGES_PATH } },
    ]);
    const mark = await journalMark();
    const stream = await client().messages.create(hello({ stream: true }));
    const seen = [];
    let error;
    try {
      for await (const ev of stream) seen.push(ev.type);
    } catch (e) {
      error = e;
    }
    assert.ok(error, 'iteration threw');
    assert.ok(error instanceof Anthropic.APIError, error?.constructor?.name);
    assert.equal(error.status, undefined);
    assert.equal(error.type, 'overloaded_error');
    assert.deepEqual(seen, ['message_start', 'content_block_start', 'content_block_delta']);  // ping skipped
    assert.deepEqual((await mark.entries(MESSAGES_PATH)).map((e) => e.retry_count), [0]);
  });

  it('MessageStream.finalMessage() rejects on a mid-stream error', async () => {
    await setFaults([{ kind: 'mid_stream_error', status: 529, after_events: 3, match: { path: MESSAGES_PATH } }]);
    await assert.rejects(client().messages.stream(hello()).finalMessage(), (e) => e.type === 'overloaded_error');
  });

  it('a stream cut without message_stop fails the stream', async () => {
    await setFaults([{ kind: 'stream_cut', after_events: 4, match: { path: MESSAGES_PATH } }]);
    await assert.rejects(client({ maxRetries: 0 }).messages.stream(hello()).finalMessage());
  });
});
