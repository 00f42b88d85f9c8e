// OpenAI `n` and `logprobs` / `top_logprobs` through `ploke-sim gateway --sim`, with the
// official `openai` SDK (unchanged except baseURL): the gateway makes one upstream call per
// choice and merges them into choices[0..n-1] (usage summed); logprobs come back as
// choices[i].logprobs.content (non-stream) and on each content chunk (stream). Bodies and
// chunks are validated against the published OpenAI schema like the shape suite does.
// Skipped under run.sh (no gateway there).
import { describe, it, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { GW, skip, get, reset } from './gateway_helpers.mjs';
import { assertShape, sseData, postJson } from './shapes.mjs';

const MODEL = 'gpt-4o-mini';
const client = () => new OpenAI({ apiKey: 'sk-FAKE-gateway-test-0123456789', baseURL: `${GW}/v1` });
const ask = (extra = {}) => ({ model: MODEL, messages: [{ role: 'user', content: 'Say hello.' }], ...extra });

/** Each ChatCompletionTokenLogprob: token, logprob ≤ 0, bytes of the token, `top` alternatives. */
function checkLogprobs(content, top, what) {
  assert.ok(Array.isArray(content) && content.length > 0, `${what}: logprobs.content ${JSON.stringify(content)}`);
  let spelled = '';
  for (const t of content) {
    assert.equal(typeof t.token, 'string', what);
    assert.ok(t.logprob <= 0, `${what}: logprob ${t.logprob}`);
    assert.deepEqual(t.bytes, [...Buffer.from(t.token, 'utf8')], `${what}: bytes of ${JSON.stringify(t.token)}`);
    assert.equal(t.top_logprobs.length, top, `${what}: top_logprobs ${JSON.stringify(t.top_logprobs)}`);
    for (const a of t.top_logprobs) assert.equal(typeof a.logprob, 'number', what);
    spelled += t.token;
  }
  return spelled;
}

describe('gateway (openai SDK): n and logprobs', { skip }, () => {
  beforeEach(reset);
  after(reset);

  it('n: 2 non-stream: two choices, indexes 0 and 1, usage of both calls', async () => {
    const one = await client().chat.completions.create(ask());
    const { data, response } = await client().chat.completions.create(ask({ n: 2 })).withResponse();
    assertShape('openai', 'CreateChatCompletionResponse', data, 'n=2 completion');
    assert.equal(data.choices.length, 2);
    data.choices.forEach((c, i) => {
      assert.equal(c.index, i);
      assert.ok(c.message.content.length > 0);
      assert.equal(c.finish_reason, 'stop');
      assert.equal(c.logprobs, null);
    });
    assert.equal(data.usage.prompt_tokens, 2 * one.usage.prompt_tokens);
    assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
    const t = await get(`${GW}/__admin/traces/${response.headers.get('x-ploke-trace-id')}`);
    assert.equal(t.body.attempts.length, 2, JSON.stringify(t.body.attempts));
  });

  it('n: 2 stream: every chunk indexed, one role and finish per choice, one usage chunk', async () => {
    const r = await postJson(`${GW}/v1/chat/completions`, ask({ n: 2, stream: true, stream_options: { include_usage: true } }));
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /data: \[DONE\]\n\n$/);
    const chunks = sseData(r.text);
    chunks.forEach((c, i) => assertShape('openai', 'CreateChatCompletionStreamResponse', c, `n=2 chunk ${i}`));
    const usage = chunks.filter((c) => c.usage);
    assert.equal(usage.length, 1);
    assert.equal(chunks.at(-1), usage[0], 'the usage chunk comes last');
    assert.deepEqual(usage[0].choices, []);
    const seen = { 0: { text: '', roles: 0, finishes: 0 }, 1: { text: '', roles: 0, finishes: 0 } };
    for (const c of chunks.slice(0, -1)) {
      assert.equal(c.choices.length, 1);
      const ch = c.choices[0];
      assert.ok(ch.index === 0 || ch.index === 1, JSON.stringify(c));
      seen[ch.index].text += ch.delta.content ?? '';
      if (ch.delta.role) seen[ch.index].roles += 1;
      if (ch.finish_reason) seen[ch.index].finishes += 1;
    }
    for (const k of [0, 1]) assert.deepEqual([seen[k].roles, seen[k].finishes, seen[k].text.length > 0], [1, 1, true], `choice ${k}`);
    // The SDK's own stream accumulator sees both choices.
    const final = await client().chat.completions.stream(ask({ n: 2 })).finalChatCompletion();
    assert.equal(final.choices.length, 2);
    assert.ok(final.choices.every((c) => c.message.content.length > 0));
  });

  it('logprobs: true, top_logprobs: 2 non-stream: choices[0].logprobs.content spells the content', async () => {
    const data = await client().chat.completions.create(ask({ logprobs: true, top_logprobs: 2 }));
    assertShape('openai', 'CreateChatCompletionResponse', data, 'logprobs completion');
    const spelled = checkLogprobs(data.choices[0].logprobs.content, 2, 'non-stream');
    assert.equal(spelled, data.choices[0].message.content);
  });

  it('logprobs: true, top_logprobs: 2 stream (n: 2): each content chunk carries its tokens', async () => {
    const r = await postJson(`${GW}/v1/chat/completions`, ask({ n: 2, stream: true, logprobs: true, top_logprobs: 2 }));
    assert.equal(r.status, 200, r.text);
    const chunks = sseData(r.text);
    chunks.forEach((c, i) => assertShape('openai', 'CreateChatCompletionStreamResponse', c, `logprobs chunk ${i}`));
    let withLogprobs = 0;
    for (const c of chunks) {
      const ch = c.choices[0];
      if (!ch?.delta.content) continue;
      withLogprobs += 1;
      assert.equal(checkLogprobs(ch.logprobs.content, 2, `chunk of choice ${ch.index}`), ch.delta.content);
    }
    assert.ok(withLogprobs >= 2, `${withLogprobs} content chunks`);
    // The SDK's accumulator joins them per choice.
    const final = await client().chat.completions.stream(ask({ logprobs: true, top_logprobs: 2 })).finalChatCompletion();
    assert.equal(checkLogprobs(final.choices[0].logprobs.content, 2, 'accumulated'), final.choices[0].message.content);
  });

  it('n and top_logprobs out of the API range are 400s naming the field', async () => {
    for (const [extra, param] of [[{ n: 0 }, 'n'], [{ logprobs: true, top_logprobs: 21 }, 'top_logprobs']]) {
      await assert.rejects(client().chat.completions.create(ask(extra)), (e) => {
        assert.ok(e instanceof OpenAI.BadRequestError, String(e));
        assert.equal(e.param, param);
        return true;
      });
    }
  });
});
