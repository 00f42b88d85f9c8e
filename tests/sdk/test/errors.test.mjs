// Error statuses and retries, injected through the admin API (POST /__admin/faults).
// Every fault uses retry_after_ms (sent as retry-after-ms, honoured by the SDK) so that
// retries take milliseconds; no test sleeps.
import { describe, it, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { client, hello, MODEL, CHAT_PATH, setFaults, clearFaults, journalMark, retryCounts, rejectsWith } from './helpers.mjs';

beforeEach(clearFaults);
after(clearFaults);

const httpError = (status, extra = {}) => ({
  id: `e${status}`,
  kind: 'http_error',
  status,
  retry_after_ms: 10,
  match: { path: CHAT_PATH },
  ...extra,
});

/** Injects `fault` on every chat request, runs one SDK call, returns {err, counts, entries}. */
async function failWith(fault, cls, { maxRetries = 2, request = hello() } = {}) {
  await setFaults([fault]);
  const mark = await journalMark();
  const err = await rejectsWith(client({ maxRetries }).chat.completions.create(request), cls);
  const entries = await mark.entries();
  return { err, entries, counts: entries.map((e) => e.retry_count) };
}

describe('error statuses map to SDK classes', () => {
  const cases = [
    [400, OpenAI.BadRequestError, false],
    [401, OpenAI.AuthenticationError, false],
    [403, OpenAI.PermissionDeniedError, false],
    [404, OpenAI.NotFoundError, false],
    [409, OpenAI.ConflictError, true],
    [422, OpenAI.UnprocessableEntityError, false],
    [429, OpenAI.RateLimitError, true],
    [500, OpenAI.InternalServerError, true],
    [503, OpenAI.InternalServerError, true],
    [529, OpenAI.InternalServerError, true],
  ];
  for (const [status, cls, retried] of cases) {
    it(`${status} -> ${cls.name}${retried ? ', retried twice (retry counts 0,1,2)' : ', not retried'}`, async () => {
      const { err, counts, entries } = await failWith(httpError(status), cls);
      assert.equal(err.status, status);
      assert.ok(err.error && typeof err.error.message === 'string', 'OpenAI-shaped error body');
      assert.ok(err.type, 'error.type copied from the body');
      assert.ok(err.requestID, 'x-request-id exposed as requestID');
      assert.match(err.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(counts, retried ? [0, 1, 2] : [0]);
      for (const e of entries) {
        assert.equal(e.status, status);
        assert.equal(e.fault_id, `e${status}`);
      }
    });
  }

  it('401 carries code invalid_api_key', async () => {
    const { err } = await failWith(httpError(401), OpenAI.AuthenticationError);
    assert.equal(err.code, 'invalid_api_key');
  });

  it('429 carries rate-limit headers and code rate_limit_exceeded', async () => {
    const { err } = await failWith(httpError(429), OpenAI.RateLimitError, { maxRetries: 0 });
    assert.equal(err.code, 'rate_limit_exceeded');
    assert.equal(err.headers.get('retry-after-ms'), '10');
    assert.equal(err.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.ok(err.headers.get('x-ratelimit-reset-requests'));
  });
});

describe('retries', () => {
  it('429 once, then success: one retry, the call succeeds', async () => {
    await setFaults([httpError(429, { trigger: { nth: 1 } })]);
    const mark = await journalMark();
    const data = await client().chat.completions.create(hello());
    assert.equal(data.object, 'chat.completion');
    assert.deepEqual(await retryCounts(mark), [0, 1]);
  });

  it('x-should-retry:false on a 500 -> not retried', async () => {
    const { counts, err } = await failWith(httpError(500, { should_retry: false }), OpenAI.InternalServerError);
    assert.equal(err.headers.get('x-should-retry'), 'false');
    assert.deepEqual(counts, [0]);
  });

  it('x-should-retry:false on a 429 (quota) -> not retried', async () => {
    const { counts } = await failWith(httpError(429, { should_retry: false }), OpenAI.RateLimitError);
    assert.deepEqual(counts, [0]);
  });

  it('429 insufficient_quota carries x-should-retry: false: one attempt with the default maxRetries', async () => {
    await setFaults([{ kind: 'http_error', status: 429, error_type: 'insufficient_quota', error_code: 'insufficient_quota',
      message: 'You exceeded your current quota, please check your plan and billing details.', match: { path: CHAT_PATH } }]);
    const mark = await journalMark();
    const err = await rejectsWith(client().chat.completions.create(hello()), OpenAI.RateLimitError);
    assert.equal(err.code, 'insufficient_quota');
    assert.equal(err.headers.get('x-should-retry'), 'false');
    assert.deepEqual((await mark.entries()).map((e) => e.retry_count), [0]);
  });

  it("a 429's message names the wait its x-ratelimit-reset-requests header carries", async () => {
    for (const ms of [10, 1500, 65000]) {
      await setFaults([{ kind: 'http_error', status: 429, retry_after_ms: ms, match: { path: CHAT_PATH } }]);
      const err = await rejectsWith(client({ maxRetries: 0 }).chat.completions.create(hello()), OpenAI.RateLimitError);
      const reset = err.headers.get('x-ratelimit-reset-requests');
      assert.ok(reset, 'x-ratelimit-reset-requests present');
      assert.ok(err.message.includes(`Please try again in ${reset}.`), `${err.message} vs reset ${reset}`);
    }
  });

  it('x-should-retry:true on a 400 -> retried', async () => {
    const { counts } = await failWith(httpError(400, { should_retry: true }), OpenAI.BadRequestError);
    assert.deepEqual(counts, [0, 1, 2]);
  });

  it('maxRetries 0 -> a single attempt', async () => {
    const { counts } = await failWith(httpError(503), OpenAI.InternalServerError, { maxRetries: 0 });
    assert.deepEqual(counts, [0]);
  });

  it('pre-stream 429 on a stream:true request is retried, then the stream works', async () => {
    await setFaults([httpError(429, { trigger: { nth: 1 }, match: { path: CHAT_PATH, stream: true } })]);
    const mark = await journalMark();
    const stream = await client().chat.completions.create(hello({ stream: true }));
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    assert.ok(text.length > 0);
    assert.deepEqual(await retryCounts(mark), [0, 1]);
  });

  it('fault matching by model: only that model fails', async () => {
    await setFaults([httpError(500, { match: { path: CHAT_PATH, model: 'gpt-4o-mini' } })]);
    await client().chat.completions.create(hello({ model: MODEL }));
    await rejectsWith(client({ maxRetries: 0 }).chat.completions.create(hello({ model: 'gpt-4o-mini' })), OpenAI.InternalServerError);
  });

  it('DELETE /__admin/faults removes the plan', async () => {
    await setFaults([httpError(500)]);
    await clearFaults();
    const data = await client({ maxRetries: 0 }).chat.completions.create(hello());
    assert.equal(data.object, 'chat.completion');
  });
});
