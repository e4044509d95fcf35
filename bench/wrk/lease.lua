-- Leases of one hot license (maxConcurrent 10,000), grants and releases in turns: a request releases a lease this
-- thread was granted and has not released yet, if there is one, else takes a new one. Every connection's requests
-- queue on the license stream's row lock. A request is a grant (201) or a release (204): about as many of each.
dofile(os.getenv("BENCH_WRK") .. "/common.lua")
local code = os.getenv("BENCH_PRODUCT_CODE")
local h = { ["Authorization"] = "License " .. os.getenv("BENCH_LEASE_KEY"), ["Content-Type"] = "application/json" }
local grant -- formatted once wrk knows the host (init)
init = function(args) grant = wrk.format("POST", "/api/v1/client/leases", h, '{"product":"' .. code .. '"}') end
local held = {} -- granted to this thread's connections, not yet released (each wrk thread has its own Lua state)
request = function()
  local id = table.remove(held)
  if id then return wrk.format("DELETE", "/api/v1/client/leases/" .. id .. "?product=" .. code, h) end
  return grant
end
-- A connection's next request is made after its answer has been read here.
response = function(status, headers, body)
  if status == 201 then
    local id = body:match('"id":"([^"]+)"')
    if id then held[#held + 1] = id end
  end
end
