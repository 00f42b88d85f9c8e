// Shared helpers for the SDK conformance tests. The official `openai` SDK is used
// unchanged; only baseURL (OPENAI_BASE_URL, set by run.sh) points at `ploke-sim serve`.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

export const BASE_URL = process.env.OPENAI_BASE_URL;
if (!BASE_URL) throw new Error('OPENAI_BASE_URL is not set (run the tests through tests/sdk/run.sh)');
// Admin API lives on the same server, at the root.
export const ROOT = BASE_URL.replace(/\/v1\/?$/, '');
export const MODEL = process.env.PLOKE_TEST_MODEL || 'gpt-4o';
export const CHAT_PATH = '/v1/chat/completions';

/** A client exactly as an application would build it, bar baseURL (taken from the env). */
export function client(opts = {}) {
  return new OpenAI({ apiKey: 'sk-ploke-sim-test', ...opts });
}

export const hello = (extra = {}) => ({
  model: MODEL,
  messages: [{ role: 'user', content: 'Say hello.' }],
  ...extra,
});

async function admin(method, path, body) {
  const res = await fetch(ROOT + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`admin ${method} ${path} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Replaces the simulator's fault plan. */
export const setFaults = (faults) => admin('POST', '/__admin/faults', { faults });
/** Removes every fault. */
export const clearFaults = () => admin('DELETE', '/__admin/faults');

/** The request journal (array of entries, oldest first). */
export async function journal() {
  const j = await admin('GET', '/__admin/requests');
  return Array.isArray(j) ? j : j.requests;
}

/**
 * Marks the journal's current end; `.entries(path)` then returns the entries that
 * arrived afterwards (optionally only for one path). Robust whether or not the
 * journal is cleared between tests.
 */
export async function journalMark() {
  const before = await journal();
  const mark = before.reduce((m, e) => Math.max(m, e.seq ?? 0), 0);
  return {
    async entries(path = CHAT_PATH) {
      const all = await journal();
      return all.filter((e) => (e.seq ?? 0) > mark && (!path || e.path === path));
    },
  };
}

/** Retry counts (x-stainless-retry-count) of the requests since the mark. */
export async function retryCounts(mark, path = CHAT_PATH) {
  return (await mark.entries(path)).map((e) => e.retry_count);
}

/** Expects `promise` to reject with an instance of `cls`; returns the error. */
export { rejectsWith } from './assertions.mjs';

/** Collects a stream's chunks; returns {chunks, error} (error = what iteration threw). */
export async function drain(stream) {
  const chunks = [];
  try {
    for await (const c of stream) chunks.push(c);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: undefined };
}

export const WEATHER_TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
        required: ['city'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      description: 'Current time in a timezone',
      parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] },
    },
  },
];
