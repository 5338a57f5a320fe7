import { z } from 'zod'
import { KvModeId } from './kv-mode'

// The trace-replay suite's settings (YAML `trace:`, env TIERBENCH_TRACE for the path). How the
// rows are sent: on the trace's own timestamps x time_scale, at a fixed rate, or closed-loop at
// max_concurrency. Rows over the target's context limit are skipped or clipped, and counted.
export const TraceConfig = z
  .strictObject({
    /** Mooncake-format JSONL (or .jsonl.gz); default: the bundled conversation trace. Relative to the working directory. */
    path: z.string().min(1).optional(),
    /** Replay only the first N rows. @default smoke 48, full all */
    first_n: z.int().positive().optional(),
    /** Multiplier on trace time for `schedule: timestamps` (0.25 = 4x faster). @default smoke 0.25, full 1 */
    time_scale: z.number().positive().optional(),
    /** Requests per second for `schedule: rate`. */
    rate: z.number().positive().optional(),
    /** Closed-loop slots (`schedule: closed_loop`); for open-loop schedules, the in-flight cap. */
    max_concurrency: z.int().positive().optional(),
    /** @default `rate` when rate is set, else `timestamps` */
    schedule: z.enum(['timestamps', 'rate', 'closed_loop']).optional(),
    /** Multiplier on input lengths and the 512-token block (small engines). @default smoke 0.125, full 1 */
    length_scale: z.number().positive().max(1).optional(),
    /** Multiplier on output lengths. @default smoke 1/32, full 1 */
    output_scale: z.number().positive().max(1).optional(),
    /** Rows over the target's context limit: skipped, or clipped to the limit (whole blocks kept). @default 'skip' */
    oversize: z.enum(['skip', 'clip']).default('skip'),
    /**
     * Device (G1) KV capacity in tokens for the what-if, when the target does not report one
     * (e.g. llama-server's -c with --kv-unified). @default kvsim's own size; unknown elsewhere
     */
    device_kv_tokens: z.int().positive().optional(),
    /** KV modes to replay in, in order. @default [B0, B1, B2] */
    modes: z.array(KvModeId).min(1).default(['B0', 'B1', 'B2']),
  })
  .superRefine((t, ctx) => {
    const schedule = t.schedule ?? (t.rate !== undefined ? 'rate' : 'timestamps')
    if (schedule === 'rate' && t.rate === undefined)
      ctx.addIssue({ code: 'custom', path: ['rate'], message: 'requests per second (schedule: rate needs trace.rate)', input: t.rate })
    if (schedule === 'closed_loop' && t.max_concurrency === undefined)
      ctx.addIssue({ code: 'custom', path: ['max_concurrency'], message: 'a positive integer (schedule: closed_loop needs trace.max_concurrency)', input: t.max_concurrency })
    if (schedule !== 'rate' && t.rate !== undefined)
      ctx.addIssue({ code: 'custom', path: ['schedule'], message: '"rate" or no schedule when trace.rate is set', input: t.schedule })
    if (schedule !== 'timestamps' && t.time_scale !== undefined)
      ctx.addIssue({ code: 'custom', path: ['time_scale'], message: `no time_scale: it applies to schedule timestamps, not ${schedule}`, input: t.time_scale })
  })
export type TraceConfig = z.infer<typeof TraceConfig>

export type TraceSchedule = NonNullable<TraceConfig['schedule']>

export const traceSchedule = (t: TraceConfig): TraceSchedule => t.schedule ?? (t.rate !== undefined ? 'rate' : 'timestamps')
