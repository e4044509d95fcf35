-- One page of a list, its path from the environment (bench/growth).
dofile(os.getenv("BENCH_WRK") .. "/common.lua")
local path = os.getenv("BENCH_PATH")
request = function() return wrk.format("GET", path, headers) end
