// OpenAI-style error objects: `{"error":{"message","type","param","code"}}`, with messages that say
// what was expected and what was got, naming the field.

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message)
    this.name = 'HttpError'
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } }
  }
}

export const badField = (param: string, expected: string, got: unknown): HttpError =>
  new HttpError(400, `Expected ${param} to be ${expected}, got ${describe(got)}`, 'invalid_request_error', param, 'invalid_value')

const describe = (v: unknown): string => {
  if (v === undefined) return 'nothing'
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s
}
