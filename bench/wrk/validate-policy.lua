dofile(os.getenv("BENCH_WRK") .. "/common.lua")
-- A license under a policy with entitlements, asked for two of them (one the policy's, one the license's own).
local body = '{"key":"' .. os.getenv("BENCH_POLICY_LICENSE_KEY") .. '","entitlements":["export-pdf","sso"]}'
request = function() return wrk.format("POST", "/api/v1/licenses/validate", headers, body) end
