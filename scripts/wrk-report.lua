-- The summary line every wrk script of scripts/ prints (loaded with dofile): requests,
-- errors, requests/s, p50 and p99.
done = function(summary, latency, requests)
  io.write(string.format("requests %d  errors(status) %d  errors(connect/read/write/timeout) %d/%d/%d/%d\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
  io.write(string.format("req/s %.0f  p50 %.3f ms  p99 %.3f ms\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
