dofile(os.getenv("BENCH_WRK") .. "/common.lua")
-- Every request creates a product with a code of its own: run, thread and counter (each wrk thread has its own
-- Lua state, so setup hands each one a distinct number).
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("tid", threads) end
local counter = 0
local tag
init = function(args) tag = tostring(os.time()) .. "t" .. tostring(tid) end
request = function()
  counter = counter + 1
  local code = "b" .. tag .. "-" .. counter
  return wrk.format("POST", "/api/v1/products", headers, '{"name":"Bench ' .. code .. '","code":"' .. code .. '"}')
end
