// SDK helpers against `ploke-sim serve` (run by run.sh): see sdk_suite.mjs.
import { sdkSuite } from './sdk_suite.mjs';
import { ROOT } from './helpers.mjs';

sdkSuite('serve', { root: ROOT, model: 'gpt-4o', orModel: 'moonshotai/kimi-k2' });
