-- wrk script: POST /v1/match with a different need per request (one JSON body per line of
-- $BENCH_BODIES; each thread starts at its own offset so no two threads send the same text).
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  bodies = {}
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    bodies[#bodies + 1] = line
  end
  step = math.floor(#bodies / 8)
  i = (tid or 0) * step
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-API-Key"] = os.getenv("BENCH_TOKEN")
end

function request()
  i = i % #bodies + 1
  return wrk.format(nil, os.getenv("BENCH_PATH"), nil, bodies[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"p50": %d, "p95": %d, "p99": %d, "requests": %d, "seconds": %f, ' ..
    '"non2xx": %d, "errors": %d}\n',
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.requests, summary.duration / 1e6, e.status,
    e.connect + e.read + e.write + e.timeout))
end
