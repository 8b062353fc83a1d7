-- wrk script: the benchmark query mix as Meilisearch search requests
-- (POST /indexes/$INDEX_UID/search, {"q": ..., "limit": 10}), one query per request, in
-- turn; the same requests go to Meilisearch and to tipdex's Meilisearch route.
local queries = {}
for line in io.lines(os.getenv("QUERIES")) do
  local q = line:match("\t(.*)$") or line
  if #q > 0 then table.insert(queries, q) end
end
local uid = os.getenv("INDEX_UID") or "sections"
local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end
local bodies = {}
for i, q in ipairs(queries) do
  bodies[i] = '{"q":' .. json_string(q) .. ',"limit":10}'
end
local headers = { ["Content-Type"] = "application/json" }
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/indexes/" .. uid .. "/search", headers, bodies[(n % #bodies) + 1])
end
dofile(os.getenv("WRK_REPORT") or ((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk-report.lua"))
