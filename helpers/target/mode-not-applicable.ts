import type { KvModeId } from '../config/kv-mode'

// A phase asks for a KV mode the target cannot run: an external server runs the one mode its
// operator started it in; llama.cpp has no disk tier. That is "not applicable on this target",
// never a failure of the stack (TARGET_START_FAILED) and never a verdict on the hypothesis.

export class ModeNotApplicableError extends Error {
  readonly code = 'MODE_NOT_APPLICABLE'
  constructor(
    readonly requested: KvModeId,
    /** What the server runs (external: the declared mode), or null when it cannot run `requested` at all. */
    readonly serverMode: KvModeId | null,
    readonly targetKind: string,
    reason?: string,
  ) {
    super(
      serverMode
        ? `${requested} not applicable on this target (server runs ${serverMode}): to measure ${requested}, restart the server in ${requested} and set TIERBENCH_DECLARED_MODE=${requested}`
        : `${requested} not applicable on this target (${targetKind}): ${reason ?? 'the server cannot run it'}`,
    )
    this.name = 'ModeNotApplicableError'
  }
}

export const isModeNotApplicable = (err: unknown): err is ModeNotApplicableError =>
  err instanceof Error && (err as { code?: unknown }).code === 'MODE_NOT_APPLICABLE'
