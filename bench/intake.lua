-- POST /api/v1/cases for random units and types: mostly new cases, some reuse (200) as in life.
local types = {"repair", "installation", "technical_guidance", "complaint", "training",
               "sample_test", "marketing_support", "delivery", "other"}
local units = tonumber(os.getenv("BENCH_UNITS") or "50000")
local token = os.getenv("BENCH_TOKEN")
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local serial = string.format("SN%08d", math.random(0, units - 1))
  local body = string.format(
    '{"type": "%s", "channel": "api", "serial_number": "%s", "summary": "Bench contact", "description": "Drum does not spin", "priority": "normal"}',
    types[math.random(#types)], serial)
  return wrk.format("POST", "/api/v1/cases", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}, body)
end
