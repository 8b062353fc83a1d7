-- wrk script for scripts/serve-load.sh: the benchmark query mix, one query per request, in turn.
local queries = {}
for line in io.lines(os.getenv("QUERIES")) do
  local q = line:match("\t(.*)$") or line
  if #q > 0 then table.insert(queries, q) end
end
local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local n = 0
request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]
  return wrk.format("GET", "/api/search?limit=10&q=" .. urlencode(q))
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d  errors(status) %d  errors(connect/read/write/timeout) %d/%d/%d/%d\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
  io.write(string.format("req/s %.0f  p50 %.3f ms  p99 %.3f ms\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
