-- make bench: the requests wrk sends, and a summary line that bench.sh reads.
--
--   wrk ... -s Tests/bench/wrk.lua URL -- MODE [ARG...]
--
--   event KEY EMAILS         POST URL: a purchase like the seed's /v1/track/event example,
--                            for an email drawn at random from the file EMAILS (one a line),
--                            with an X-API-Key header (the C insert responder gets the same)
--   show KEY IDS             GET URL/ID for an id drawn at random from the file IDS
--   rotate KEY PATH...       GET each PATH in turn (the customer list's filtered pages)
--
-- Every request of event, show and rotate carries X-API-Key: KEY. At the end one line:
--   BENCH requests=N seconds=S rps=R p50=MS p95=MS p99=MS max=MS non2xx=N errors=N
local mode, key
local lines = {}
local paths = {}
local next_path = 0
local base_path

local function read_lines(file)
  local out = {}
  for line in io.lines(file) do
    if line ~= "" then out[#out + 1] = line end
  end
  assert(#out > 0, "no lines in " .. file)
  return out
end

local threads = 0
function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

function init(args)
  mode = args[1]
  key = args[2]
  base_path = wrk.path
  if mode == "event" or mode == "show" then
    lines = read_lines(args[3])
  elseif mode == "rotate" then
    for i = 3, #args do paths[#paths + 1] = args[i] end
    assert(#paths > 0, "rotate needs paths")
  else
    error("unknown mode " .. tostring(mode))
  end
  -- Each thread its own sequence, the same from run to run; threads start on different paths.
  math.randomseed(1000 + thread_number)
  next_path = thread_number
end

local products = {
  {"prod_abc123", "Premium Plan", "149.99"},
  {"prod_basic", "Basic Plan", "29.00"},
  {"prod_addon", "Extra Seats", "49.50"},
  {"prod_course", "Onboarding Course", "89.00"},
}

function request()
  if mode == "event" then
    local email = lines[math.random(#lines)]
    local p = products[math.random(#products)]
    local body = '{"customer_email":"' .. email .. '","event":"purchase","properties":{"amount":' .. p[3] ..
      ',"currency":"EUR","product_id":"' .. p[1] .. '","product_name":"' .. p[2] .. '"}}'
    return wrk.format("POST", base_path, {["X-API-Key"] = key, ["Content-Type"] = "application/json"}, body)
  elseif mode == "show" then
    return wrk.format("GET", base_path .. lines[math.random(#lines)], {["X-API-Key"] = key})
  elseif mode == "rotate" then
    next_path = next_path % #paths + 1
    return wrk.format("GET", paths[next_path], {["X-API-Key"] = key})
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50=%.3f p95=%.3f p99=%.3f max=%.3f non2xx=%d errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
