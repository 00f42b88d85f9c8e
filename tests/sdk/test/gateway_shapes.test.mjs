// Shapes of what `ploke-sim gateway --sim` sends (run by run_gateway.sh; skipped under
// run.sh): see shape_suite.mjs. Faults are set on both simulators behind the gateway.
import { shapeSuite } from './shape_suite.mjs';
import { GW, setFaults, reset as clearFaults, skip } from './gateway_helpers.mjs';

shapeSuite('gateway', {
  root: GW,
  gateway: true,
  model: 'gpt-4o-mini',
  orModel: 'gpt-4o-mini',
  orToolModel: 'gpt-4o-mini',
  setFaults,
  clearFaults,
}, { skip });
