// A small app for `ploke-sim check` tests: CALLS calls through one official SDK, with its
// default settings unless MAX_RETRIES / TIMEOUT_MS say otherwise. SDK=openai | anthropic |
// vercel-ai. The last call streams when STREAM_LAST=1. Errors are caught and printed (the
// app always exits 0), as an app that shows errors to its user would.
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { generateText } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';

const sdk = process.env.SDK || 'openai';
const calls = Number(process.env.CALLS || 6);
const opts = {};
if (process.env.MAX_RETRIES) opts.maxRetries = Number(process.env.MAX_RETRIES);
if (process.env.TIMEOUT_MS) opts.timeout = Number(process.env.TIMEOUT_MS);

async function call(i, stream) {
  const content = `call ${i}`;
  if (sdk === 'openai') {
    const c = new OpenAI(opts);
    const r = await c.chat.completions.create({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content }] });
    if (stream) for await (const _ of r) {}
  } else if (sdk === 'anthropic') {
    const c = new Anthropic(opts);
    const r = await c.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, stream,
                                        messages: [{ role: 'user', content }] });
    if (stream) for await (const _ of r) {}
  } else {
    const provider = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });
    const signal = opts.timeout ? AbortSignal.timeout(opts.timeout) : undefined;
    await generateText({ model: provider.chat('gpt-4o-mini'), prompt: content, maxRetries: opts.maxRetries,
                         abortSignal: signal });
  }
}

for (let i = 0; i < calls; i++) {
  const stream = process.env.STREAM_LAST === '1' && i === calls - 1;
  try {
    await call(i, stream);
    console.log(`call ${i}: ok`);
  } catch (e) {
    console.log(`call ${i}: ${e.constructor.name} ${e.status ?? ''}`);
  }
}
