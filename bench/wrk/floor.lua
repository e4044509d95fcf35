dofile(os.getenv("BENCH_WRK") .. "/common.lua")
-- The HTTP floor: the liveness probe touches no database, so this is what the host, the middleware and the
-- request log cost before any SQL. No read can be faster than this.
request = function() return wrk.format("GET", "/health/live", headers) end
