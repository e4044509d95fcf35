-- Activations with the license key, each on one of 100 licenses of one product, a new fingerprint each time.
dofile(os.getenv("BENCH_WRK") .. "/common.lua")
local keys = {}
for line in io.lines(os.getenv("BENCH_LICENSE_KEYS")) do keys[#keys + 1] = line end
local counter = 0
init = function(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)) end
request = function()
  counter = counter + 1
  local h = { ["Authorization"] = "License " .. keys[math.random(#keys)], ["Content-Type"] = "application/json" }
  return wrk.format("POST", "/api/v1/client/machines", h, string.format('{"fingerprint":"m-%d-%d"}', math.random(1, 2000000000), counter))
end
