dofile(os.getenv("BENCH_WRK") .. "/common.lua")
local path = "/api/v1/products/" .. os.getenv("BENCH_HOT_PRODUCT") .. "/licenses"
request = function() return wrk.format("POST", path, headers, "{}") end
