dofile(os.getenv("BENCH_WRK") .. "/common.lua")
local path = "/api/v1/products?limit=25&cursor=" .. os.getenv("BENCH_DEEP_CURSOR")
request = function() return wrk.format("GET", path, headers) end
