dofile(os.getenv("BENCH_WRK") .. "/common.lua")
local body = '{"key":"' .. os.getenv("BENCH_LICENSE_KEY") .. '"}'
request = function() return wrk.format("POST", "/api/v1/licenses/validate", headers, body) end
