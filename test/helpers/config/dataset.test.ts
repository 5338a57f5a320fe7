import { describe, expect, test } from 'vitest'
import { Dataset, DATASET_DEFAULTS } from '../../../helpers/config/dataset'

describe('Dataset', () => {
  test('S stays at or under 8k input tokens and L at or over 32k', () => {
    expect(Math.max(...DATASET_DEFAULTS.S.context_menu)).toBeLessThanOrEqual(8192)
    expect(Math.min(...DATASET_DEFAULTS.L.context_menu)).toBeGreaterThanOrEqual(32768)
  })
  test('an S dataset with a 16k menu entry is rejected with the offending size', () => {
    const r = Dataset.safeParse({ ...DATASET_DEFAULTS.S, max_input_tokens: 16384, context_menu: [512, 16384] })
    expect(r.success).toBe(false)
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain('max_input_tokens')
  })
  test('an L dataset starting below 32k is rejected', () => {
    const r = Dataset.safeParse({ ...DATASET_DEFAULTS.L, min_input_tokens: 16384 })
    expect(r.success).toBe(false)
  })
})
