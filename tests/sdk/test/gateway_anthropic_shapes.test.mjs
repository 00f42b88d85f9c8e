// Anthropic shapes of what `ploke-sim gateway --sim` sends (run by run_gateway.sh; skipped
// under run.sh): see anthropic_shape_suite.mjs. Faults are set on both simulators.
import { anthropicShapeSuite } from './anthropic_shape_suite.mjs';
import { GW, setFaults, reset as clearFaults, skip } from './gateway_helpers.mjs';

anthropicShapeSuite('gateway', { root: GW, gateway: true, setFaults, clearFaults },
  { skip });
