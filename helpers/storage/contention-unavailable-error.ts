// Thrown when contention cannot run safely or at all (fio missing, guard refusal): the phase
// fails with this reason instead of crashing the suite.
export class ContentionUnavailableError extends Error {
  override readonly name = 'ContentionUnavailableError'
  constructor(readonly reason: string) {
    super(reason)
  }
}
