import type { EngineStats } from '../engine/engine-types'
import { escapeLabel, formatNumber, PromHistogram } from './prom-histogram'

// The Dynamo frontend's `dynamo_frontend_*` families with the label sets and bucket bounds of a
// real exposition (shared/fixtures/real/dynamo/frontend-metrics.prom): histogram and request
// labels carry the lowercased model name, the model_* gauges the served name as is.

const TTFT_BOUNDS = [0, 0.0022, 0.0047, 0.01, 0.022, 0.047, 0.1, 0.22, 0.47, 1, 2.2, 4.7, 10, 22, 48, 100, 220, 480]
const ITL_BOUNDS = [0, 0.0019, 0.0035, 0.0067, 0.013, 0.024, 0.045, 0.084, 0.16, 0.3, 0.56, 1.1, 2]
const DURATION_BOUNDS = [0, 1.9, 3.4, 6.3, 12, 22, 40, 75, 140, 260]
const ISL_BOUNDS = [0, 100, 210, 430, 870, 1800, 3600, 7400, 15000, 31000, 63000, 130000]
const OSL_BOUNDS = [0, 100, 210, 430, 880, 1800, 3700, 7600, 16000, 32000]
// Not in the captured exposition; the input-length bounds fit because cached ≤ input.
const CACHED_BOUNDS = ISL_BOUNDS
const LATENESS_BOUNDS = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1]
const ONBOARD_BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

export type EndpointName = 'completions' | 'chat_completions'
export type RequestType = 'stream' | 'unary'
export type RequestStatus = 'success' | 'error'
/** Current Dynamo labels failures by kind (`error_type`); successes carry an empty value. Values here are kvsim's own. */
export type RequestErrorType = '' | 'no_endpoints' | 'validation' | 'internal' | 'cancelled'

export interface ModelGauges {
  servedModelName: string
  contextLength: number
  maxNumSeqs: number
  maxNumBatchedTokens: number
  totalKvBlocks: number
  kvCacheBlockSize: number
}

export class FrontendMetrics {
  private readonly requests = new Map<string, number>()
  inflight = 0
  disconnectedClients = 0
  outputTokens = 0
  readonly ttft = new PromHistogram(TTFT_BOUNDS)
  readonly itl = new PromHistogram(ITL_BOUNDS)
  readonly duration = new PromHistogram(DURATION_BOUNDS)
  readonly isl = new PromHistogram(ISL_BOUNDS)
  readonly osl = new PromHistogram(OSL_BOUNDS)
  readonly cached = new PromHistogram(CACHED_BOUNDS)
  readonly lateness = new PromHistogram(LATENESS_BOUNDS)
  readonly onboard = new PromHistogram(ONBOARD_BOUNDS)
  faultsInjected = 0

  constructor(private readonly model: ModelGauges) {}

  activeRequests = 0
  requestsStarted = 0

  countRequest(endpoint: EndpointName, type: RequestType, status: RequestStatus, errorType: RequestErrorType = status === 'error' ? 'internal' : ''): void {
    const key = `${endpoint}|${type}|${status}|${errorType}`
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1)
  }

  render(stats: EngineStats, extra: { workerRegistered: boolean; uptimeS: number }): string {
    const p = 'dynamo_frontend_'
    const lower = `model="${escapeLabel(this.model.servedModelName.toLowerCase())}"`
    const served = `model="${escapeLabel(this.model.servedModelName)}"`
    const out: string[] = []
    const family = (name: string, type: string, help: string, body: string[]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...body)
    }
    family(`${p}disconnected_clients`, 'gauge', 'Number of disconnected clients', [`${p}disconnected_clients ${this.disconnectedClients}`])
    family(`${p}inflight_requests`, 'gauge', 'Number of inflight requests', [`${p}inflight_requests{${lower}} ${this.inflight}`])
    family(`${p}input_sequence_tokens`, 'histogram', 'Input sequence length in tokens', [this.isl.render(`${p}input_sequence_tokens`, lower)])
    family(`${p}cached_tokens`, 'histogram', 'Number of cached tokens (prefix cache hits) per request', [this.cached.render(`${p}cached_tokens`, lower)])
    family(`${p}inter_token_latency_seconds`, 'histogram', 'Inter-token latency in seconds', [this.itl.render(`${p}inter_token_latency_seconds`, lower)])
    if (extra.workerRegistered) {
      const gauge = (suffix: string, help: string, v: number) => family(`${p}${suffix}`, 'gauge', help, [`${p}${suffix}{${served}} ${v}`])
      gauge('model_context_length', 'Maximum context length in tokens for a worker serving the model', this.model.contextLength)
      gauge('model_kv_cache_block_size', 'KV cache block size in tokens for a worker serving the model', this.model.kvCacheBlockSize)
      gauge('model_max_num_batched_tokens', 'Maximum number of batched tokens for a worker serving the model', this.model.maxNumBatchedTokens)
      gauge('model_max_num_seqs', 'Maximum number of sequences for a worker serving the model', this.model.maxNumSeqs)
      gauge('model_migration_limit', 'Maximum number of request migrations allowed for the model', 0)
      gauge('model_total_kv_blocks', 'Total KV cache blocks available for a worker serving the model', this.model.totalKvBlocks)
    }
    family(`${p}output_sequence_tokens`, 'histogram', 'Output sequence length in tokens', [this.osl.render(`${p}output_sequence_tokens`, lower)])
    family(`${p}output_tokens_total`, 'counter', 'Total number of output tokens generated (updates in real-time)', [`${p}output_tokens_total{${lower}} ${this.outputTokens}`])
    family(`${p}queued_requests`, 'gauge', 'Number of requests in HTTP processing queue', [`${p}queued_requests{${lower}} ${stats.queued}`])
    family(`${p}request_duration_seconds`, 'histogram', 'Duration of LLM requests', [this.duration.render(`${p}request_duration_seconds`, lower)])
    const reqLines = [...this.requests.entries()].sort().map(([key, v]) => {
      const [endpoint, type, status, errorType] = key.split('|')
      return `${p}requests_total{endpoint="${endpoint}",error_type="${errorType}",${lower},request_type="${type}",status="${status}"} ${v}`
    })
    family(`${p}requests_total`, 'counter', 'Total number of LLM requests processed', reqLines)
    // Families current Dynamo added (dynamo-kvbm.md §8); parsers must take them, and any other new one, in stride.
    family(`${p}requests_started_total`, 'counter', 'Total number of LLM requests started', [`${p}requests_started_total{${lower}} ${this.requestsStarted}`])
    family(`${p}active_requests`, 'gauge', 'Number of requests being processed', [`${p}active_requests{${lower}} ${this.activeRequests}`])
    family(`${p}time_to_first_token_seconds`, 'histogram', 'Time to first token in seconds', [this.ttft.render(`${p}time_to_first_token_seconds`, lower)])

    // kvsim's own families: prefixed so nobody mistakes them for Dynamo's.
    family('kvsim_emulated', 'gauge', 'Always 1: this endpoint is the kvsim emulator, not a real serving stack', ['kvsim_emulated 1'])
    family('kvsim_worker_registered', 'gauge', 'Whether the emulated worker is registered (0 after drop_worker)', [`kvsim_worker_registered ${extra.workerRegistered ? 1 : 0}`])
    family('kvsim_running_requests', 'gauge', 'Requests in the running batch', [`kvsim_running_requests ${stats.running}`])
    const tiers = (['g1', 'g2', 'g3'] as const).flatMap((t) => [`kvsim_tier_used_blocks{tier="${t}"} ${stats[t].usedBlocks}`])
    family('kvsim_tier_used_blocks', 'gauge', 'KV blocks resident per tier', tiers)
    family('kvsim_tier_total_blocks', 'gauge', 'KV block capacity per tier', (['g1', 'g2', 'g3'] as const).map((t) => `kvsim_tier_total_blocks{tier="${t}"} ${stats[t].totalBlocks}`))
    family('kvsim_g3_onboard_latency_seconds', 'histogram', 'G3 onboard latency seen at request completion', [this.onboard.render('kvsim_g3_onboard_latency_seconds', '')])
    family('kvsim_emission_lateness_seconds', 'histogram', 'Token socket write time minus the performance model due time', [this.lateness.render('kvsim_emission_lateness_seconds', '')])
    family('kvsim_loaded_adapters', 'gauge', 'LoRA adapters resident in memory', [`kvsim_loaded_adapters ${stats.loadedAdapters.length}`])
    family('kvsim_faults_injected_total', 'counter', 'Requests hit by a server-side fault (http_5xx, cut_stream)', [`kvsim_faults_injected_total ${this.faultsInjected}`])
    family('kvsim_uptime_seconds', 'gauge', 'Seconds since the server started', [`kvsim_uptime_seconds ${formatNumber(extra.uptimeS)}`])
    return out.join('\n') + '\n'
  }
}
