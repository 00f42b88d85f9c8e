// The official @anthropic-ai/sdk, unchanged except baseURL, against `ploke-sim gateway --sim
// --sim-protocol anthropic` (Anthropic-protocol simulators behind the core; run by
// tests/sdk/run_gateway.sh with PLOKE_GATEWAY_UPSTREAM=anthropic): extended thinking
// (signed thinking blocks whole and streamed, sent back on the next turn) and prompt
// caching (`cache_control` reaches the upstream, so the second call reads the cache, with
// the 1-hour split). Bodies are checked against the SDK's own types. Skipped otherwise.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { GW } from './gateway_helpers.mjs';
import { assertShape } from './shapes.mjs';

const skip = GW && process.env.PLOKE_GATEWAY_UPSTREAM === 'anthropic' ? false : 'needs run_gateway.sh with PLOKE_GATEWAY_UPSTREAM=anthropic';
const MODEL = 'claude-sonnet-4-6';
const client = () => new Anthropic({ apiKey: 'sk-ant-FAKE-gateway-test-0123456789', baseURL: GW, maxRetries: 0 });
const think = (extra = {}) => ({
  model: MODEL,
  max_tokens: 4096,
  thinking: { type: 'enabled', budget_tokens: 2048 },
  messages: [{ role: 'user', content: 'Think it through, then say hello.' }],
  ...extra,
});

describe('gateway (anthropic SDK, Anthropic upstream): extended thinking', { skip }, () => {
  it('messages.create: a signed thinking block, then text; it goes back on the next turn', async () => {
    const c = client();
    const msg = await c.messages.create(think());
    assertShape('anthropic', 'Message', msg, 'thinking message through the gateway');
    assert.equal(msg.content[0].type, 'thinking');
    assert.ok(msg.content[0].thinking.length > 0);
    assert.ok(msg.content[0].signature.length > 0);
    assert.equal(msg.content.at(-1).type, 'text');
    const next = await c.messages.create(
      think({
        messages: [
          { role: 'user', content: 'Think it through, then say hello.' },
          { role: 'assistant', content: msg.content },
          { role: 'user', content: 'Again.' },
        ],
      }),
    );
    assert.equal(next.content[0].type, 'thinking');
  });

  it('messages.stream().finalMessage(): thinking and signature from the deltas', async () => {
    let thinking = '';
    let signature = '';
    const final = await client()
      .messages.stream(think())
      .on('thinking', (delta) => {
        thinking += delta;
      })
      .on('signature', (sig) => {
        signature = sig;
      })
      .finalMessage();
    assertShape('anthropic', 'Message', final, 'streamed thinking message through the gateway');
    assert.equal(final.content[0].type, 'thinking');
    assert.ok(thinking.length > 0);
    assert.equal(final.content[0].thinking, thinking);
    assert.ok(signature.length > 0);
    assert.equal(final.content[0].signature, signature);
    assert.equal(final.content.at(-1).type, 'text');
  });
});

describe('gateway (anthropic SDK, Anthropic upstream): prompt caching', { skip }, () => {
  // claude-sonnet-4-6 caches prefixes of at least 2048 tokens (the simulator: chars / 4).
  const cached = (tag, ttl) => ({
    model: MODEL,
    max_tokens: 64,
    system: [{ type: 'text', text: `${tag} `.repeat(2400), cache_control: ttl ? { type: 'ephemeral', ttl } : { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: 'Summarise.' }],
  });

  it('a second identical call reads what the first wrote', async () => {
    const c = client();
    const first = await c.messages.create(cached('gw-cache-a'));
    assert.ok(first.usage.cache_creation_input_tokens >= 2048, JSON.stringify(first.usage));
    assert.equal(first.usage.cache_read_input_tokens, 0);
    const second = await c.messages.create(cached('gw-cache-a'));
    assertShape('anthropic', 'Message', second, 'cached message through the gateway');
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(second.usage.cache_creation_input_tokens, 0);
  });

  it('a 1-hour breakpoint is written as such; streamed calls report the read', async () => {
    const c = client();
    const first = await c.messages.create(cached('gw-cache-b', '1h'));
    assert.equal(first.usage.cache_creation.ephemeral_1h_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(first.usage.cache_creation.ephemeral_5m_input_tokens, 0);
    const final = await c.messages.stream(cached('gw-cache-b', '1h')).finalMessage();
    assert.equal(final.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    // A streamed write: the split comes with message_start, as from the API.
    const written = await c.messages.stream(cached('gw-cache-c', '1h')).finalMessage();
    assert.ok(written.usage.cache_creation.ephemeral_1h_input_tokens >= 2048, JSON.stringify(written.usage));
  });
});
