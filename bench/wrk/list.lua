dofile(os.getenv("BENCH_WRK") .. "/common.lua")
request = function() return wrk.format("GET", "/api/v1/products?limit=25", headers) end
