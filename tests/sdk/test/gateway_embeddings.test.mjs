// The official `openai` SDK's embeddings.create() through `ploke-sim gateway --sim` (run by
// tests/sdk/run_gateway.sh): the SDK's default (base64, decoded by the SDK) equals the
// float vectors and the upstream simulator's own; batches; `dimensions`; the simulator's
// 400s; fall-over to sim-b when sim-a fails; the Vercel AI SDK's embed / embedMany. Skipped
// under run.sh (no gateway there).
import { describe, it, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { createOpenAI } from '@ai-sdk/openai';
import { embed, embedMany } from 'ai';
import { GW, SIM_A, SIM_B, skip, post, get, faults, reset, httpError, rejectsWith } from './gateway_helpers.mjs';

const EMBED = 'text-embedding-3-small';

/** A gateway client that records the JSON bodies it sends. */
function recordingClient(defaultHeaders = {}) {
  const sent = [];
  const c = new OpenAI({
    apiKey: 'sk-FAKE-gateway-test-0123456789',
    baseURL: `${GW}/v1`,
    maxRetries: 0,
    defaultHeaders,
    fetch: async (url, init) => {
      if (init?.body) sent.push(JSON.parse(init.body));
      return fetch(url, init);
    },
  });
  return { c, sent };
}

describe('gateway (openai SDK): embeddings', { skip }, () => {
  beforeEach(reset);
  after(reset);

  it('the SDK default (base64, decoded) equals the float vectors and the upstream simulator\'s', async () => {
    const { c, sent } = recordingClient();
    const input = ['the quick brown fox', 'jumps over the lazy dog'];
    const { data: dflt, response } = await c.embeddings.create({ model: EMBED, input }).withResponse();
    assert.equal(sent[0].encoding_format, 'base64', 'the SDK asks for base64 by default');
    const traceId = response.headers.get('x-ploke-trace-id');
    assert.match(traceId, /^gw-/);
    assert.equal(response.headers.get('x-request-id'), traceId);
    const trace = await get(`${GW}/__admin/traces/${traceId}`);
    assert.equal(trace.status, 200);
    assert.equal(trace.body.outcome, 'ok');
    assert.match(trace.body.served_by, /^sim-[ab]\//);
    const upstream = trace.body.served_by.startsWith('sim-a/') ? SIM_A : SIM_B;
    const flt = await c.embeddings.create({ model: EMBED, input, encoding_format: 'float' });
    const direct = await post(`${upstream}/v1/embeddings`, { model: EMBED, input, encoding_format: 'float' });
    assert.equal(dflt.object, 'list');
    assert.equal(dflt.model, EMBED);
    assert.equal(dflt.data.length, 2);
    for (let i = 0; i < 2; i++) {
      const a = dflt.data[i].embedding;
      const b = flt.data[i].embedding;
      assert.equal(dflt.data[i].index, i);
      assert.equal(a.length, 1536);
      assert.equal(b.length, 1536);
      for (let k = 0; k < a.length; k++) assert.equal(a[k], Math.fround(b[k]), `data[${i}][${k}]`);
      assert.deepEqual(b, direct.data[i].embedding, 'the upstream\'s vector, unchanged');
    }
    assert.ok(flt.usage.prompt_tokens > 0);
    assert.equal(flt.usage.total_tokens, flt.usage.prompt_tokens);
  });

  it('batch: one vector per input, in order, each the one it gets alone', async () => {
    const { c } = recordingClient();
    const input = ['alpha', 'beta', 'gamma', 'delta'];
    const batch = await c.embeddings.create({ model: EMBED, input });
    assert.equal(batch.data.length, 4);
    assert.deepEqual(batch.data.map((d) => d.index), [0, 1, 2, 3]);
    const alone = await c.embeddings.create({ model: EMBED, input: 'gamma' });
    assert.deepEqual(alone.data[0].embedding, batch.data[2].embedding);
    assert.notDeepEqual(batch.data[0].embedding, batch.data[1].embedding);
  });

  it('dimensions shortens; above the model\'s size is the upstream\'s 400 (a BadRequestError)', async () => {
    const { c, sent } = recordingClient();
    const r = await c.embeddings.create({ model: EMBED, input: ['a', 'b'], dimensions: 256 });
    assert.equal(sent[0].dimensions, 256);
    for (const d of r.data) assert.equal(d.embedding.length, 256);
    const full = await c.embeddings.create({ model: EMBED, input: 'a', dimensions: 1536 });
    assert.equal(full.data[0].embedding.length, 1536);
    const tooBig = await rejectsWith(c.embeddings.create({ model: EMBED, input: 'a', dimensions: 4096 }), OpenAI.BadRequestError);
    assert.equal(tooBig.status, 400);
  });

  it('a malformed request gets the simulator\'s 400, word for word', async () => {
    const { c } = recordingClient();
    const body = { model: EMBED, input: [] };
    const simRes = await fetch(`${SIM_A}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(simRes.status, 400);
    const simErr = (await simRes.json()).error;
    const err = await rejectsWith(c.embeddings.create(body), OpenAI.BadRequestError);
    assert.equal(err.status, 400);
    assert.equal(err.message, `400 ${simErr.message}`);
    assert.equal(err.param ?? null, simErr.param);
    assert.equal(err.code ?? null, simErr.code);
  });

  it('sim-a failing: the answer is sim-b\'s vectors', async () => {
    const { c } = recordingClient({ 'x-ploke-policy': 'pinned' });  // sim-a first, then sim-b
    const want = await post(`${SIM_B}/v1/embeddings`, { model: EMBED, input: 'fail over', encoding_format: 'float' });
    await faults(SIM_A, [httpError(500)]);
    const { data, response } = await c.embeddings
      .create({ model: EMBED, input: 'fail over', encoding_format: 'float' })
      .withResponse();
    assert.deepEqual(data.data[0].embedding, want.data[0].embedding);
    const trace = await get(`${GW}/__admin/traces/${response.headers.get('x-ploke-trace-id')}`);
    assert.match(trace.body.served_by, /^sim-b\//);
    assert.ok(trace.body.attempts.length >= 2);
    assert.equal(trace.body.attempts[0].outcome, 'server_error');
  });
});

describe('gateway (Vercel AI SDK): embed', { skip }, () => {
  beforeEach(reset);
  after(reset);

  it('embed / embedMany over @ai-sdk/openai through the gateway give the upstream simulator\'s vectors', async () => {
    // sim-a serves (pinned: routing statistics of earlier tests could prefer sim-b, whose seed differs).
    const openai = createOpenAI({ apiKey: 'sk-FAKE-gateway-test-0123456789', baseURL: `${GW}/v1`, headers: { 'x-ploke-policy': 'pinned' } });
    const { embedding, usage } = await embed({ model: openai.embedding(EMBED), value: 'hello vercel', maxRetries: 0 });
    const want = await post(`${SIM_A}/v1/embeddings`, { model: EMBED, input: 'hello vercel', encoding_format: 'float' });
    assert.equal(embedding.length, 1536);
    embedding.forEach((x, i) => assert.equal(Math.fround(x), Math.fround(want.data[0].embedding[i]), `component ${i}`));
    assert.ok(usage.tokens > 0);
    const { embeddings } = await embedMany({ model: openai.embedding(EMBED), values: ['a', 'hello vercel'], maxRetries: 0 });
    assert.equal(embeddings.length, 2);
    assert.deepEqual(embeddings[1], embedding);
  });
});
