// SDK helpers through `ploke-sim gateway --sim` (run by run_gateway.sh; skipped under
// run.sh): see sdk_suite.mjs.
import { sdkSuite } from './sdk_suite.mjs';

const GW = process.env.PLOKE_GATEWAY_URL;
sdkSuite('gateway', { root: GW, gateway: true, model: 'gpt-4o-mini', orModel: 'gpt-4o-mini' },
  { skip: GW ? false : 'needs `ploke-sim gateway --sim` (tests/sdk/run_gateway.sh)' });
