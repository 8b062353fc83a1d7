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
dofile(os.getenv("WRK_REPORT") or ((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk-report.lua"))
