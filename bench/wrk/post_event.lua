-- POST one CostBooked CloudEvent per request, each with a fresh event id and booking id.
--
-- Arguments (after `--`): token, body template, deadline, label, seed.
--   The template holds @ID@ and @BOOKING@ where the ids go.
--   deadline is a Unix time in whole seconds. From then on the script asks for GET /healthz
--   instead, so that when wrk stops (a little later) no POST is left unanswered: every event
--   the service recorded has been counted, and the log can be checked against the count.
--   label makes booking ids unique across wrk runs; seed varies the random event ids.
-- At the end one line `BENCH-RESULT {json}` reports what was sent and what came back.

local threads = {}
local next_thread = 0

function setup(thread)
   next_thread = next_thread + 1
   thread:set("tid", next_thread)
   table.insert(threads, thread)
end

local headers, template, deadline, label

function init(args)
   headers = {
      ["Content-Type"] = "application/cloudevents+json",
      ["Authorization"] = "Bearer " .. args[1],
   }
   template = args[2]
   deadline = tonumber(args[3])
   label = args[4]
   math.randomseed(tonumber(args[5]) + tid * 7919)
   sequence = 0
   posts = 0
   tail = 0
   statuses = {}
end

local function uuid4()
   local b = {}
   for i = 1, 16 do
      b[i] = math.random(0, 255)
   end
   b[7] = bit.bor(bit.band(b[7], 0x0f), 0x40) -- version 4
   b[9] = bit.bor(bit.band(b[9], 0x3f), 0x80) -- RFC 4122 variant
   return string.format(
      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", unpack(b))
end

function request()
   if os.time() >= deadline then
      tail = tail + 1
      return wrk.format("GET", "/healthz")
   end
   sequence = sequence + 1
   posts = posts + 1
   local booking = label .. "-" .. tid .. "-" .. sequence
   local body = template:gsub("@ID@", uuid4()):gsub("@BOOKING@", booking)
   return wrk.format("POST", "/events", headers, body)
end

function response(status, _, _)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, _, _)
   local sent, tails, merged = 0, 0, {}
   for _, thread in ipairs(threads) do
      sent = sent + thread:get("posts")
      tails = tails + thread:get("tail")
      for status, count in pairs(thread:get("statuses")) do
         merged[status] = (merged[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(merged) do
      table.insert(parts, string.format('"%s":%d', status, count))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"posts":%d,"tail_requests":%d,"statuses":{%s},' ..
      '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
      sent, tails, table.concat(parts, ","), e.connect, e.read, e.write, e.timeout))
end
