// The official SDKs, unchanged except baseURL and apiKey, against `ploke-sim gateway --sim
// --auth on` (run by tests/sdk/run_gateway.sh with PLOKE_GATEWAY_AUTH=keys: a client key
// made by `gateway keys create --models gpt-4o-mini` in PLOKE_GATEWAY_KEY, the master key
// in PLOKE_GATEWAY_MASTER_KEY). The `openai` SDK sends `Authorization: Bearer`, the
// `@anthropic-ai/sdk` sends `x-api-key`: both are served with the key, and a wrong key or a
// model outside the key's list becomes the SDK's own error class. Skipped otherwise.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GW } from './gateway_helpers.mjs';

const KEY = process.env.PLOKE_GATEWAY_KEY;
const MASTER = process.env.PLOKE_GATEWAY_MASTER_KEY;
const skip = GW && KEY && MASTER ? false : 'needs run_gateway.sh with PLOKE_GATEWAY_AUTH=keys';
const WRONG = 'sk-ploke-FAKEwrongKEY00000000000000000000';
const openai = (apiKey) => new OpenAI({ apiKey, baseURL: `${GW}/v1`, maxRetries: 0 });
const anthropic = (apiKey) => new Anthropic({ apiKey, baseURL: GW, maxRetries: 0 });
const chat = (model = 'gpt-4o-mini') => ({ model, messages: [{ role: 'user', content: 'hello' }] });
const msg = (model = 'gpt-4o-mini') => ({ model, max_tokens: 32, messages: [{ role: 'user', content: 'hello' }] });

describe('gateway client keys (openai and anthropic SDKs)', { skip }, () => {
  it('openai SDK: the client key (Bearer) is served; models lists the key\'s models', async () => {
    const r = await openai(KEY).chat.completions.create(chat());
    assert.equal(r.object, 'chat.completion');
    const models = [];
    for await (const m of openai(KEY).models.list()) models.push(m.id);
    assert.deepEqual(models, ['gpt-4o-mini']);
  });

  it('anthropic SDK: the client key (x-api-key) is served, streamed too', async () => {
    const m = await anthropic(KEY).messages.create(msg());
    assert.equal(m.type, 'message');
    const s = anthropic(KEY).messages.stream(msg());
    const final = await s.finalMessage();
    assert.equal(final.type, 'message');
  });

  it('a wrong key: AuthenticationError (401) in both SDKs, the key not echoed', async () => {
    await assert.rejects(openai(WRONG).chat.completions.create(chat()), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, String(e));
      assert.equal(e.status, 401);
      assert.equal(e.code, 'invalid_api_key');
      assert.ok(!JSON.stringify(e.error).includes('SDKwrong'));
      return true;
    });
    await assert.rejects(anthropic(WRONG).messages.create(msg()), (e) => {
      assert.ok(e instanceof Anthropic.AuthenticationError, String(e));
      assert.equal(e.status, 401);
      assert.ok(!JSON.stringify(e.error).includes('SDKwrong'));
      return true;
    });
  });

  it('a model outside the key\'s list: PermissionDeniedError (403); the master key may use it', async () => {
    await assert.rejects(openai(KEY).chat.completions.create(chat('gpt-4o')), (e) => {
      assert.ok(e instanceof OpenAI.PermissionDeniedError, String(e));
      assert.match(e.message, /Tried to access gpt-4o/);
      return true;
    });
    await assert.rejects(anthropic(KEY).messages.create(msg('gpt-4o')), (e) => e instanceof Anthropic.PermissionDeniedError);
    const r = await openai(MASTER).chat.completions.create(chat('gpt-4o'));
    assert.equal(r.object, 'chat.completion');
  });
});
