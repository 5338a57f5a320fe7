// Reason codes the Dynamo driver throws with, so the harness can put them in verdicts and the
// dossier without parsing messages.
export const DYNAMO_REASON_CODES = [
  'MODE_NOT_VERIFIED',
  'B1_DISK_TIER_ACTIVE',
  'KVBM_METRICS_MISSING',
  'MODEL_DROPPED',
  'STALLED',
  'NOT_READY',
  'WORKER_EXITED',
  'FRONTEND_EXITED',
  'COMMAND_FAILED',
  /** The engine/backend pair or this backend cannot run the mode (checked before anything starts). */
  'MODE_UNSUPPORTED',
  /** A KVBM mode on an image without the kvbm package (deprecated in Dynamo 1.5). */
  'KVBM_UNAVAILABLE',
  /** A port the next process binds is already held (an orphaned executor of the previous mode). */
  'PORT_CONFLICT',
] as const
export type DynamoReasonCode = (typeof DYNAMO_REASON_CODES)[number]

export class DynamoTargetError extends Error {
  readonly reason: DynamoReasonCode
  readonly details: Record<string, unknown>

  constructor(reason: DynamoReasonCode, message: string, details: Record<string, unknown> = {}) {
    super(`${reason}: ${message}`)
    this.name = 'DynamoTargetError'
    this.reason = reason
    this.details = details
  }
}
