// k6 threshold grammar: `aggregation op value`, e.g. `p(99)<2000`, `rate<=0.01`, `value>0`.
// Aggregations: avg | min | max | med | p(N) | count | rate | value. Operators: < <= > >= == !=.

export type Aggregation =
  | { kind: 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' | 'value' }
  | { kind: 'p'; p: number }

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!='

export interface ParsedExpr {
  aggregation: Aggregation
  op: Operator
  threshold: number
  /** Canonical text, e.g. `p(99)<2000`. */
  text: string
}

const AGG = /^(avg|min|max|med|count|rate|value|p\(\s*([^)]*)\s*\))/
const OP = /^(<=|>=|==|!=|<|>)/
const NUM = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/

export const aggregationText = (a: Aggregation): string => (a.kind === 'p' ? `p(${a.p})` : a.kind)

export const parseExpr = (expr: string): ParsedExpr => {
  const src = expr.trim()
  const m = AGG.exec(src)
  if (!m)
    throw new SyntaxError(
      `Expected an aggregation (avg|min|max|med|p(N)|count|rate|value) at the start of "${expr}", got "${src.slice(0, 12)}"`,
    )
  let aggregation: Aggregation
  if (m[1].startsWith('p(')) {
    const pText = (m[2] ?? '').trim()
    const p = Number(pText)
    if (!NUM.test(pText) || !(p >= 0 && p <= 100))
      throw new SyntaxError(`Expected a percentile between 0 and 100 in p(N) of "${expr}", got "${pText}"`)
    aggregation = { kind: 'p', p }
  } else aggregation = { kind: m[1] as 'avg' }
  const rest = src.slice(m[0].length).trimStart()
  const o = OP.exec(rest)
  if (!o) throw new SyntaxError(`Expected an operator (< <= > >= == !=) after "${m[0]}" in "${expr}", got "${rest.slice(0, 12)}"`)
  const numText = rest.slice(o[0].length).trim()
  if (!NUM.test(numText)) throw new SyntaxError(`Expected a number after "${o[0]}" in "${expr}", got "${numText}"`)
  const threshold = Number(numText)
  const op = o[0] as Operator
  return { aggregation, op, threshold, text: `${aggregationText(aggregation)}${op}${threshold}` }
}

export const compare = (observed: number, op: Operator, threshold: number): boolean => {
  switch (op) {
    case '<':
      return observed < threshold
    case '<=':
      return observed <= threshold
    case '>':
      return observed > threshold
    case '>=':
      return observed >= threshold
    case '==':
      return observed === threshold
    case '!=':
      return observed !== threshold
  }
}
