-- make soak: the mixed workload that wrk sends (Tests/bench/soak.sh).
--
--   wrk ... -s Tests/bench/soak.lua URL -- KEY EMAILS IDS RUN DELAY_MS
--
--   70 %  POST /v1/track/event   a page view or a purchase by a known customer (EMAILS), each
--                                with a message_id of its own (RUN + thread + counter)
--   20 %  reads                  GET /v1/customers/ID (IDS), GET /v1/customers?page=N,
--                                GET /v1/customers/ID/events
--   10 %  writes                 POST /v1/customers (a new email), PATCH /v1/customers/ID
--
-- DELAY_MS paces each connection (wrk's delay(): the pause before its next request; 0 for
-- the capacity run). Every request carries X-API-Key: KEY. At the end one line:
--   SOAK requests=N seconds=S rps=R p50=MS p99=MS p999=MS max=MS non2xx=N errors=N track=N reads=N writes=N
local key, emails, ids, run, pause
local counter = 0
counts = {track = 0, reads = 0, writes = 0} -- a global: done() reads it from each thread
local threads = {}
local thread_count = 0

local function read_lines(file)
  local out = {}
  for line in io.lines(file) do
    if line ~= "" then out[#out + 1] = line end
  end
  assert(#out > 0, "no lines in " .. file)
  return out
end

function setup(thread)
  thread:set("thread_number", thread_count)
  thread_count = thread_count + 1
  threads[#threads + 1] = thread
end

function init(args)
  key, run, pause = args[1], args[4], tonumber(args[5] or "0")
  emails = read_lines(args[2])
  ids = read_lines(args[3])
  math.randomseed(os.time() * 100 + thread_number)
end

local pages = {"page_view", "page_view", "page_view", "add_to_cart", "purchase"}

function request()
  counter = counter + 1
  local r = math.random(100)
  local headers = {["X-API-Key"] = key, ["Content-Type"] = "application/json"}
  if r <= 70 then
    counts.track = counts.track + 1
    local event = pages[math.random(#pages)]
    local props
    if event == "purchase" then
      props = '{"amount":' .. math.random(5, 300) .. '.50,"currency":"EUR","product_id":"p' .. math.random(40) .. '"}'
    else
      props = '{"url":"https://shop.example/p/' .. math.random(500) .. '","title":"Product"}'
    end
    local body = '{"customer_email":"' .. emails[math.random(#emails)] .. '","event":"' .. event ..
      '","message_id":"soak-' .. run .. '-' .. thread_number .. '-' .. counter .. '","properties":' .. props .. '}'
    return wrk.format("POST", "/v1/track/event", headers, body)
  elseif r <= 90 then
    counts.reads = counts.reads + 1
    local id = ids[math.random(#ids)]
    if r <= 80 then
      return wrk.format("GET", "/v1/customers/" .. id, headers)
    elseif r <= 85 then
      return wrk.format("GET", "/v1/customers?per_page=25&page=" .. math.random(20) .. "&sort=created_at&order=desc", headers)
    else
      return wrk.format("GET", "/v1/customers/" .. id .. "/events?per_page=10", headers)
    end
  else
    counts.writes = counts.writes + 1
    if r <= 95 then
      local body = '{"email":"soak-' .. run .. '-' .. thread_number .. '-' .. counter .. '@new.example","name":"Soak ' ..
        counter .. '","city":"Zagreb"}'
      return wrk.format("POST", "/v1/customers", headers, body)
    else
      local body = '{"city":"City ' .. math.random(50) .. '","properties":{"tier":"t' .. math.random(5) .. '"}}'
      return wrk.format("PATCH", "/v1/customers/" .. ids[math.random(#ids)], headers, body)
    end
  end
end

function delay()
  if pause <= 0 then return 0 end
  -- Up to 20 % jitter either way, so that connections do not march in step.
  return pause * (0.8 + 0.4 * math.random())
end

function done(summary, latency, requests)
  local track, reads, writes = 0, 0, 0
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    track, reads, writes = track + c.track, reads + c.reads, writes + c.writes
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "SOAK requests=%d seconds=%.3f rps=%.1f p50=%.3f p99=%.3f p999=%.3f max=%.3f non2xx=%d errors=%d track=%d reads=%d writes=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout, track, reads, writes))
end
