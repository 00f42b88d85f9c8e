// Assertions shared by every SDK test file (no environment needed to import).
import assert from 'node:assert/strict';

/** Awaits `promise`, expecting it to reject with an instance of `cls`; returns the error. */
export async function rejectsWith(promise, cls) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${cls.name}, but the call succeeded`);
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${err?.constructor?.name}: ${err?.message}`);
  return err;
}
