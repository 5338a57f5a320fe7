import { z } from 'zod'

/** Sampling of the telemetry collectors (v3.0 plan §6.4: 200 ms, aligned across sources). */
export const TelemetryConfig = z.strictObject({
  cadence_ms: z.int().min(20).max(10_000).default(200),
})
export type TelemetryConfig = z.infer<typeof TelemetryConfig>
