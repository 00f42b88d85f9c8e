// SDK helpers against serve and gateway (sdk_helpers.test.mjs, gateway_sdk_helpers.test.mjs):
// openai's chat.completions.parse() with zodResponseFormat (structured output that parses
// and validates), json_object, and the Vercel AI SDK (generateText / streamText /
// generateObject) over @ai-sdk/openai's chat model and @openrouter/ai-sdk-provider.
// A target is {root, model, orModel}.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import Anthropic from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenRouter } from '@openrouter/ai-sdk-provider';
import { generateText, streamText, generateObject } from 'ai';

const KEY = 'sk-FAKE-sdk-helpers-0123456789';
const Recipe = z.object({
  title: z.string(),
  servings: z.number().int().min(1).max(12),
  vegetarian: z.boolean(),
  tags: z.array(z.enum(['quick', 'cheap', 'fancy'])),
  steps: z.array(z.object({ order: z.number().int(), text: z.string() })),
  note: z.string().nullable(),
});

function openaiHelpers(t) {
  const sdk = () => new OpenAI({ apiKey: KEY, baseURL: `${t.root}/v1`, maxRetries: 0 });
  const ask = { role: 'user', content: 'A recipe, please.' };
  it('chat.completions.parse() with zodResponseFormat: parsed object validates', async () => {
    const r = await sdk().chat.completions.parse({ model: t.model, messages: [ask], response_format: zodResponseFormat(Recipe, 'recipe') });
    const parsed = r.choices[0].message.parsed;
    assert.ok(parsed, `no parsed content: ${r.choices[0].message.content}`);
    Recipe.parse(parsed);
  });
  it('json_schema output is deterministic for a seed and differs across seeds', async () => {
    const req = (seed) => ({ model: t.model, seed, messages: [ask], response_format: zodResponseFormat(Recipe, 'recipe') });
    const a = await sdk().chat.completions.parse(req(11));
    const b = await sdk().chat.completions.parse(req(11));
    const c = await sdk().chat.completions.parse(req(12));
    Recipe.parse(a.choices[0].message.parsed);
    if (!t.gateway) {
      assert.equal(a.choices[0].message.content, b.choices[0].message.content);
      assert.notEqual(a.choices[0].message.content, c.choices[0].message.content);
    }
  });
  it('json_schema stream: the content assembles into valid JSON', async () => {
    const stream = sdk().chat.completions.stream({ model: t.model, messages: [ask], response_format: zodResponseFormat(Recipe, 'recipe') });
    const final = await stream.finalChatCompletion();
    Recipe.parse(final.choices[0].message.parsed);
  });
  it('json_object: the content is a JSON object', async () => {
    const r = await sdk().chat.completions.create({ model: t.model, messages: [ask], response_format: { type: 'json_object' } });
    const v = JSON.parse(r.choices[0].message.content);
    assert.equal(typeof v, 'object');
    assert.ok(v !== null && !Array.isArray(v));
  });
}

const CLAUDE = 'claude-sonnet-4-6';
// zodOutputFormat() drops what Anthropic's structured outputs do not enforce (numeric
// bounds, array sizes) from the schema it sends, but its parse() still checks them; the
// simulator follows the schema it receives, so the Anthropic helpers use a schema without them.
const RecipeA = z.object({
  title: z.string(),
  servings: z.number().int(),
  vegetarian: z.boolean(),
  tags: z.array(z.enum(['quick', 'cheap', 'fancy'])),
  steps: z.array(z.object({ order: z.number().int(), text: z.string() })),
  note: z.string().nullable(),
});

// @anthropic-ai/sdk structured output: output_config.format json_schema (zodOutputFormat),
// messages.parse() and a streamed finalMessage(); the text is JSON valid against the schema.
function anthropicHelpers(t) {
  const sdk = () => new Anthropic({ apiKey: KEY, baseURL: t.root, maxRetries: 0 });
  const req = (extra = {}) => ({
    model: CLAUDE,
    max_tokens: 1024,
    messages: [{ role: 'user', content: 'A recipe, please.' }],
    output_config: { format: zodOutputFormat(RecipeA) },
    ...extra,
  });
  it('messages.parse() with zodOutputFormat: parsed_output validates', async () => {
    const r = await sdk().messages.parse(req());
    assert.ok(r.parsed_output, `no parsed output: ${JSON.stringify(r.content)}`);
    RecipeA.parse(r.parsed_output);
  });
  it('output_config json_schema stream: finalMessage text is valid JSON for the schema', async () => {
    const final = await sdk().messages.stream(req()).finalMessage();
    RecipeA.parse(JSON.parse(final.content.filter((b) => b.type === 'text').map((b) => b.text).join('')));
  });
  it('output_config with a bad format type → BadRequestError naming the field', async () => {
    let err;
    try {
      await sdk().messages.create(req({ output_config: { format: { type: 'xml', schema: {} } } }));
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof Anthropic.BadRequestError, String(err));
    assert.match(err.error.error.message, /^output_config\.format\.type: /);
  });
}

function vercel(t) {
  const openai = createOpenAI({ apiKey: KEY, baseURL: `${t.root}/v1` });
  const anthropic = createAnthropic({ apiKey: KEY, baseURL: `${t.root}/v1` });
  const openrouter = createOpenRouter({ apiKey: KEY, baseURL: `${t.root}/api/v1` });
  const models = [
    ['@ai-sdk/openai chat', () => openai.chat(t.model), Recipe],
    ['@ai-sdk/openai responses', () => openai.responses(t.model), Recipe],
    ['@openrouter/ai-sdk-provider', () => openrouter.chat(t.orModel), Recipe],
    // The provider sends Anthropic a schema without numeric bounds (see RecipeA).
    ['@ai-sdk/anthropic', () => anthropic(CLAUDE), RecipeA],
  ];
  for (const [name, model, schema] of models) {
    it(`${name}: generateText`, async () => {
      const r = await generateText({ model: model(), prompt: 'Say hello.', maxRetries: 0 });
      assert.ok(r.text.length > 0);
      assert.ok(r.usage.outputTokens > 0);
      assert.equal(r.finishReason, 'stop');
    });
    it(`${name}: streamText`, async () => {
      const r = streamText({ model: model(), prompt: 'Say hello.', maxRetries: 0 });
      let text = '';
      for await (const part of r.textStream) text += part;
      assert.ok(text.length > 0);
      assert.equal(await r.finishReason, 'stop');
      assert.ok((await r.usage).outputTokens > 0);
    });
    it(`${name}: generateObject validates against the schema`, async () => {
      const r = await generateObject({ model: model(), schema, prompt: 'A recipe, please.', maxRetries: 0 });
      schema.parse(r.object);
    });
  }
}

export function sdkSuite(label, t, { skip = false } = {}) {
  describe(`${label}: openai SDK structured output`, { skip }, () => openaiHelpers(t));
  describe(`${label}: @anthropic-ai/sdk structured output`, { skip }, () => anthropicHelpers(t));
  describe(`${label}: Vercel AI SDK`, { skip }, () => vercel(t));
}
