// Shapes of what `ploke-sim serve` sends (run by run.sh): see shape_suite.mjs.
import { shapeSuite } from './shape_suite.mjs';
import { ROOT, setFaults, clearFaults } from './helpers.mjs';


shapeSuite('serve', {
  root: ROOT,
  model: 'gpt-4o',
  orModel: 'moonshotai/kimi-k2',
  orToolModel: 'moonshotai/kimi-k2',
  setFaults,
  clearFaults,
});
