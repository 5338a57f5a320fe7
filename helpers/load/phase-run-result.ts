import { z } from 'zod'

// What an executor reports when a phase ends; the counts reconcile with raw/requests.jsonl:
// records_emitted = completed + dropped.
export const PhaseRunResult = z.object({
  t_start_ms: z.number(),
  t_end_ms: z.number(),
  wall_start_ms: z.number(),
  wall_end_ms: z.number(),
  /** Requests handed to the client. */
  sent: z.number().int().nonnegative(),
  /** Requests that came back with a record (ok or not). */
  completed: z.number().int().nonnegative(),
  /** Completed records with ok=false. */
  errors: z.number().int().nonnegative(),
  /** Open loop: arrivals that could not start because max_in_flight was reached (k6 dropped_iterations). */
  dropped: z.number().int().nonnegative(),
  /** Sends whose schedule_delay_ms exceeded LATE_SEND_MS: the load generator was behind. */
  late_sends: z.number().int().nonnegative(),
  interrupted: z.boolean(),
  records_emitted: z.number().int().nonnegative(),
})
export type PhaseRunResult = z.infer<typeof PhaseRunResult>

/** A send later than this (t_sent − t_scheduled) counts as late. */
export const LATE_SEND_MS = 1
