-- Shared by the scenarios: the API key and the ids come from the environment that bench/run sets.
key = os.getenv("BENCH_KEY")
headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }

-- One line for bench/run to read. Answers that are not 2xx/3xx are counted (wrk's summary.errors.status),
-- so that a fast stream of errors never passes for throughput.
done = function(summary, latency, requests)
  io.write(string.format("BENCH non2xx=%d p50_ms=%.3f p99_ms=%.3f rps=%.1f requests=%d\n",
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests))
end
