// The official @anthropic-ai/sdk against `ploke-sim serve` with extended thinking and prompt
// caching: messages.create with thinking (a thinking block with a signature, then text),
// messages.stream(...).finalMessage() accumulating thinking_delta + signature_delta, the
// API's 400s for a bad budget, and a second identical cached call reading the cache.
// Bodies are checked against the SDK's own types (specs/anthropic.json).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { ROOT } from './helpers.mjs';
import { assertShape } from './shapes.mjs';

const MODEL = 'claude-sonnet-4-6';
const client = () => new Anthropic({ apiKey: 'sk-ant-FAKE-sdk-test-0123456789', baseURL: ROOT, maxRetries: 0 });
const think = (extra = {}) => ({
  model: MODEL,
  max_tokens: 4096,
  thinking: { type: 'enabled', budget_tokens: 2048 },
  messages: [{ role: 'user', content: 'Think it through, then say hello.' }],
  ...extra,
});
const SIGNATURE = /^[A-Za-z0-9+/]{88}$/;

describe('anthropic: extended thinking', () => {
  it('messages.create: a thinking block with a signature, then text', async () => {
    const msg = await client().messages.create(think());
    assertShape('anthropic', 'Message', msg, 'thinking message');
    assert.equal(msg.content[0].type, 'thinking');
    assert.ok(msg.content[0].thinking.length > 0);
    assert.match(msg.content[0].signature, SIGNATURE);
    assert.equal(msg.content[1].type, 'text');
    assert.ok(msg.content[1].text.length > 0);
    assert.ok(msg.usage.output_tokens > 16, 'thinking tokens count as output');
  });

  it('messages.stream().finalMessage(): thinking and signature accumulated from the deltas', async () => {
    let thinking = '';
    let signature = '';
    const stream = client()
      .messages.stream(think())
      .on('thinking', (delta) => {
        thinking += delta;
      })
      .on('signature', (sig) => {
        signature = sig;
      });
    const final = await stream.finalMessage();
    assertShape('anthropic', 'Message', final, 'final message');
    assert.equal(final.content[0].type, 'thinking');
    assert.ok(final.content[0].thinking.length > 0);
    assert.equal(final.content[0].thinking, thinking);
    assert.match(final.content[0].signature, SIGNATURE);
    assert.equal(final.content[0].signature, signature);
    assert.equal(final.content[1].type, 'text');
    assert.ok(final.usage.output_tokens > 16);
  });

  it('multi-turn: the previous thinking block goes back with the conversation', async () => {
    const c = client();
    const first = await c.messages.create(think());
    const next = await c.messages.create(
      think({
        messages: [
          { role: 'user', content: 'Think it through, then say hello.' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: 'Again.' },
        ],
      }),
    );
    assert.equal(next.content[0].type, 'thinking');
  });

  const REJECTED = [
    [{ thinking: { type: 'enabled', budget_tokens: 512 } }, 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024'],
    [{ max_tokens: 2048 }, '`max_tokens` must be greater than `thinking.budget_tokens`.'],
    [{ temperature: 0.5 }, '`temperature` may only be set to 1 when thinking is enabled or in adaptive mode.'],
    [{ top_k: 5 }, '`top_k` must be unset when thinking is enabled.'],
  ];
  for (const [extra, message] of REJECTED) {
    it(`${JSON.stringify(extra)} → BadRequestError`, async () => {
      let err;
      try {
        await client().messages.create(think(extra));
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof Anthropic.BadRequestError, `got ${err}`);
      assert.equal(err.error.error.type, 'invalid_request_error');
      assert.ok(err.error.error.message.startsWith(message), err.error.error.message);
    });
  }
});

describe('anthropic: prompt caching', () => {
  // claude-sonnet-4-6 caches prefixes of at least 2048 tokens (the simulator: chars / 4).
  const system = (tag) => [{ type: 'text', text: `${tag} `.repeat(2400), cache_control: { type: 'ephemeral' } }];
  const cached = (tag) => ({
    model: MODEL,
    max_tokens: 64,
    system: system(tag),
    messages: [{ role: 'user', content: 'Summarise.' }],
  });

  it('a second identical call reads what the first wrote', async () => {
    const c = client();
    const first = await c.messages.create(cached('sdk-cache-a'));
    assert.ok(first.usage.cache_creation_input_tokens >= 2048, JSON.stringify(first.usage));
    assert.equal(first.usage.cache_read_input_tokens, 0);
    assert.equal(first.usage.cache_creation.ephemeral_5m_input_tokens, first.usage.cache_creation_input_tokens);
    const second = await c.messages.create(cached('sdk-cache-a'));
    assertShape('anthropic', 'Message', second, 'cached message');
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(second.usage.cache_creation_input_tokens, 0);
    assert.equal(second.usage.input_tokens, first.usage.input_tokens);
  });

  it('streamed: message_start reports the read, finalMessage keeps it', async () => {
    const c = client();
    await c.messages.create(cached('sdk-cache-b'));
    const final = await c.messages.stream(cached('sdk-cache-b')).finalMessage();
    assert.ok(final.usage.cache_read_input_tokens >= 2048, JSON.stringify(final.usage));
  });

  it('ttl 1h is reported in cache_creation.ephemeral_1h_input_tokens', async () => {
    const body = cached('sdk-cache-c');
    body.system[0].cache_control = { type: 'ephemeral', ttl: '1h' };
    const msg = await client().messages.create(body);
    assert.ok(msg.usage.cache_creation.ephemeral_1h_input_tokens >= 2048, JSON.stringify(msg.usage));
    assert.equal(msg.usage.cache_creation.ephemeral_5m_input_tokens, 0);
  });

  it('count_tokens accepts thinking and cache_control', async () => {
    const body = cached('sdk-cache-d');
    delete body.max_tokens;
    const r = await client().messages.countTokens({ ...body, thinking: { type: 'enabled', budget_tokens: 2048 } });
    assert.ok(r.input_tokens >= 2048, JSON.stringify(r));
  });

  it('five breakpoints → BadRequestError', async () => {
    const body = cached('sdk-cache-e');
    body.cache_control = { type: 'ephemeral' };
    body.messages = [
      {
        role: 'user',
        content: ['a', 'b', 'c'].map((t) => ({ type: 'text', text: t, cache_control: { type: 'ephemeral' } })),
      },
    ];
    await assert.rejects(client().messages.create(body), (e) => {
      assert.ok(e instanceof Anthropic.BadRequestError);
      assert.equal(e.error.error.message, 'A maximum of 4 blocks with cache_control may be provided. Found 5.');
      return true;
    });
  });
});
