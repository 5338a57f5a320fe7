import { z } from 'zod'

/** Latency limits a capacity search holds (MLPerf Inference LLM limits by default). */
export const SloPreset = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { error: 'a kebab-case id' }),
  description: z.string(),
  source: z.string(),
  ttft_p99_ms: z.number().positive(),
  tpot_p99_ms: z.number().positive(),
  /** Optional tighter p95 bound (plan W2 template). */
  ttft_p95_ms: z.number().positive().optional(),
  /** Largest error fraction a point may have and still count as meeting the SLO. */
  max_error_rate: z.number().min(0).max(1).default(0),
})
export type SloPreset = z.infer<typeof SloPreset>
