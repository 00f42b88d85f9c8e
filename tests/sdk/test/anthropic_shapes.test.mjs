// Anthropic shapes of what `ploke-sim serve` sends (run by run.sh): see anthropic_shape_suite.mjs.
import { anthropicShapeSuite } from './anthropic_shape_suite.mjs';
import { ROOT, setFaults, clearFaults } from './helpers.mjs';

anthropicShapeSuite('serve', { root: ROOT, setFaults, clearFaults });
