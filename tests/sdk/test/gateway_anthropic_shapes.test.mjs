// Anthropic shapes of what `ploke-sim gateway --sim` sends (run by run_gateway.sh; skipped
// under run.sh): see anthropic_shape_suite.mjs. Faults are set on both simulators.
import { anthropicShapeSuite } from './anthropic_shape_suite.mjs';

const GW = process.env.PLOKE_GATEWAY_URL;
const SIMS = [process.env.PLOKE_SIM_A_URL, process.env.PLOKE_SIM_B_URL];

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url} -> ${res.status}: ${await res.text()}`);
}
async function setFaults(list) {
  for (const u of SIMS) await post(`${u}/__admin/faults`, { faults: list });
}
async function clearFaults() {
  if (!GW) return;
  await setFaults([]);
  await post(`${GW}/__admin/breakers/reset`);
}

anthropicShapeSuite('gateway', { root: GW, gateway: true, setFaults, clearFaults },
  { skip: GW ? false : 'needs `ploke-sim gateway --sim` (tests/sdk/run_gateway.sh)' });
