-- A heartbeat of one active machine (bench-fp-1) of a license whose policy has a heartbeat rule (heartbeatSeconds
-- 3600), with the license key, naming the product as the software does.
dofile(os.getenv("BENCH_WRK") .. "/common.lua")
local h = { ["Authorization"] = "License " .. os.getenv("BENCH_HEARTBEAT_KEY"), ["Content-Type"] = "application/json" }
local body = '{"product":"' .. os.getenv("BENCH_PRODUCT_CODE") .. '"}'
request = function() return wrk.format("POST", "/api/v1/client/machines/bench-fp-1/heartbeat", h, body) end
