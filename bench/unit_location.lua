local units = tonumber(os.getenv("BENCH_UNITS") or "50000")
local token = os.getenv("BENCH_TOKEN")
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local serial = string.format("SN%08d", math.random(0, units - 1))
  return wrk.format("GET", "/api/v1/units/" .. serial .. "/location",
    {["Authorization"] = "Bearer " .. token})
end
