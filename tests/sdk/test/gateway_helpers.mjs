// Shared helpers for the SDK tests against `ploke-sim gateway --sim` (run_gateway.sh sets
// PLOKE_GATEWAY_URL and the two simulators' URLs; under run.sh they are unset and the
// gateway tests skip themselves). Faults are set on the simulators behind the gateway.
import { rejectsWith } from './assertions.mjs';

export { rejectsWith };
export const GW = process.env.PLOKE_GATEWAY_URL;
export const SIM_A = process.env.PLOKE_SIM_A_URL;
export const SIM_B = process.env.PLOKE_SIM_B_URL;
export const skip = GW ? false : 'needs `ploke-sim gateway --sim` (tests/sdk/run_gateway.sh)';

/** POSTs JSON (or nothing); throws on a non-2xx answer; the answer's JSON (null if empty). */
export async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}
/** GET: {status, body (JSON)}. */
export async function get(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}
/** Replaces the fault plan of one simulator (a URL) or of both (sim = 'both'); [] clears. */
export async function faults(sim, list) {
  const urls = sim === 'both' ? [SIM_A, SIM_B] : [sim];
  for (const u of urls) await post(`${u}/__admin/faults`, { faults: list });
}
/** The same faults on both simulators. */
export const setFaults = (list) => faults('both', list);
/** No faults anywhere and every breaker closed (a no-op when the gateway is not running). */
export async function reset() {
  if (!GW) return;
  await faults('both', []);
  await post(`${GW}/__admin/breakers/reset`);
}
/** A simulator `http_error` fault with a short Retry-After. */
export const httpError = (status, extra = {}) => ({ kind: 'http_error', status, retry_after_ms: 10, ...extra });
