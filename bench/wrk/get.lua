dofile(os.getenv("BENCH_WRK") .. "/common.lua")
local path = "/api/v1/products/" .. os.getenv("BENCH_PRODUCT")
request = function() return wrk.format("GET", path, headers) end
