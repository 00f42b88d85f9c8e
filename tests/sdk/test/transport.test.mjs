// Faults below HTTP status level: mid-stream errors, cut streams, malformed bodies,
// hangs (client timeout), connection resets.
import { describe, it, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { client, hello, CHAT_PATH, setFaults, clearFaults, journalMark, retryCounts, rejectsWith, drain } from './helpers.mjs';

beforeEach(clearFaults);
after(clearFaults);

const streamReq = () => hello({ stream: true });

describe('stream faults', () => {
  it('mid-stream error -> APIError thrown during iteration, after the first events', async () => {
    await setFaults([{ id: 'mid', kind: 'mid_stream_error', after_events: 2, match: { path: CHAT_PATH, stream: true } }]);
    const mark = await journalMark();
    const stream = await client().chat.completions.create(streamReq());
    const { chunks, error } = await drain(stream);
    assert.ok(error, 'iteration threw');
    assert.ok(error instanceof OpenAI.APIError, `APIError, got ${error?.constructor?.name}: ${error?.message}`);
    assert.equal(error.status, undefined, 'in-band error has no HTTP status');
    assert.ok(error.message.length > 0);
    assert.equal(chunks.length, 2, 'the events before the error were yielded');
    assert.deepEqual(await retryCounts(mark), [0], 'nothing is retried once SSE bytes started');
  });

  it('mid-stream error through the stream() helper rejects finalChatCompletion()', async () => {
    await setFaults([{ id: 'mid', kind: 'mid_stream_error', after_events: 1, match: { path: CHAT_PATH, stream: true } }]);
    await rejectsWith(client().chat.completions.stream(hello()).finalChatCompletion(), OpenAI.APIError);
  });

  it('stream cut (reset without [DONE]) -> iteration throws, not retried', async () => {
    await setFaults([{ id: 'cut', kind: 'stream_cut', after_events: 2, match: { path: CHAT_PATH, stream: true } }]);
    const mark = await journalMark();
    const stream = await client().chat.completions.create(streamReq());
    const { chunks, error } = await drain(stream);
    assert.ok(error, `iteration must fail on a cut stream (got ${chunks.length} chunks and a clean end)`);
    assert.ok(chunks.length <= 2);
    assert.deepEqual(await retryCounts(mark), [0]);
  });

  it('malformed SSE JSON -> iteration throws', async () => {
    await setFaults([{ id: 'bad', kind: 'malformed_json', after_events: 1, match: { path: CHAT_PATH, stream: true } }]);
    const stream = await client().chat.completions.create(streamReq());
    const { error } = await drain(stream);
    assert.ok(error, 'iteration threw');
  });

  it('malformed non-stream JSON body -> the call rejects', async () => {
    await setFaults([{ id: 'bad', kind: 'malformed_json', match: { path: CHAT_PATH, stream: false } }]);
    await assert.rejects(client({ maxRetries: 0 }).chat.completions.create(hello()));
  });
});

describe('connection faults', () => {
  it('hang + short SDK timeout -> APIConnectionTimeoutError', async () => {
    await setFaults([{ id: 'hang', kind: 'hang', match: { path: CHAT_PATH } }]);
    const mark = await journalMark();
    const t0 = performance.now();
    await rejectsWith(client({ timeout: 300, maxRetries: 0 }).chat.completions.create(hello()), OpenAI.APIConnectionTimeoutError);
    assert.ok(performance.now() - t0 >= 250, 'waited for the timeout');
    assert.deepEqual(await retryCounts(mark), [0]);
  });

  it('hang is retried on timeout (maxRetries 1 -> 2 attempts)', async () => {
    await setFaults([{ id: 'hang', kind: 'hang', match: { path: CHAT_PATH } }]);
    const mark = await journalMark();
    await rejectsWith(client({ timeout: 200, maxRetries: 1 }).chat.completions.create(hello()), OpenAI.APIConnectionTimeoutError);
    assert.deepEqual(await retryCounts(mark), [0, 1]);
  });

  it('reset -> APIConnectionError (not a timeout)', async () => {
    await setFaults([{ id: 'rst', kind: 'reset', match: { path: CHAT_PATH } }]);
    const mark = await journalMark();
    const err = await rejectsWith(client({ maxRetries: 0 }).chat.completions.create(hello()), OpenAI.APIConnectionError);
    assert.ok(!(err instanceof OpenAI.APIConnectionTimeoutError));
    assert.deepEqual(await retryCounts(mark), [0]);
  });

  it('reset once, then success: the SDK retries the connection error', async () => {
    await setFaults([{ id: 'rst', kind: 'reset', trigger: { nth: 1 }, match: { path: CHAT_PATH } }]);
    const mark = await journalMark();
    const data = await client().chat.completions.create(hello());
    assert.equal(data.object, 'chat.completion');
    assert.deepEqual(await retryCounts(mark), [0, 1]);
  });

  it('empty reply -> APIConnectionError', async () => {
    await setFaults([{ id: 'empty', kind: 'empty_reply', match: { path: CHAT_PATH } }]);
    await rejectsWith(client({ maxRetries: 0 }).chat.completions.create(hello()), OpenAI.APIConnectionError);
  });

  it('delay below the timeout -> success, later', async () => {
    await setFaults([{ id: 'slow', kind: 'delay', delay_ms: 150, match: { path: CHAT_PATH } }]);
    const t0 = performance.now();
    const data = await client({ maxRetries: 0 }).chat.completions.create(hello());
    assert.equal(data.object, 'chat.completion');
    assert.ok(performance.now() - t0 >= 140, 'the delay was applied');
  });

  it('delay above the timeout -> APIConnectionTimeoutError', async () => {
    await setFaults([{ id: 'slow', kind: 'delay', delay_ms: 2000, match: { path: CHAT_PATH } }]);
    await rejectsWith(client({ timeout: 200, maxRetries: 0 }).chat.completions.create(hello()), OpenAI.APIConnectionTimeoutError);
  });
});
