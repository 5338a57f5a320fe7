import type { HypothesisDefinition } from './define-hypothesis'

// Loads suite files for inspection instead of running them: while a capture is open,
// defineHypothesis hands its definition here and registers no describe block. The evidence and
// plan-expansion tests use it to enumerate every suites/*.test.ts, including ones added later.

const CAPTURE = Symbol.for('tierbench.captureHypotheses')

type CaptureSlot = { [CAPTURE]?: HypothesisDefinition[] }

/** The open capture's list, or null when suites run for real. */
export const activeCapture = (): HypothesisDefinition[] | null => (globalThis as CaptureSlot)[CAPTURE] ?? null

/** Runs `load` (which imports suite files) with a capture open and returns the definitions it declared. */
export const captureHypotheses = async (load: () => Promise<unknown>): Promise<HypothesisDefinition[]> => {
  const slot = globalThis as CaptureSlot
  if (slot[CAPTURE]) throw new Error('Expected one hypothesis capture at a time, got a nested captureHypotheses call')
  const defs: HypothesisDefinition[] = []
  slot[CAPTURE] = defs
  try {
    await load()
  } finally {
    delete slot[CAPTURE]
  }
  return defs
}
