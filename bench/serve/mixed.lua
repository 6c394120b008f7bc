-- wrk script: 1 request in 20 (5 %) enrols a PNG as a new class (POST /v1/classes/bench-T-N/examples), the others
-- classify query.png as classify.lua does. Enrolment images: BENCH_DIR/enrol/0.png … 199.png (bench/serve/prepare.py).
package.path = "bench/serve/?.lua;" .. package.path
local multipart = require("multipart")
local dir = os.getenv("BENCH_DIR") or "."
local every = 20
local images = 200

local classify, enrol = nil, {}
local counter, threads = 0, 0
thread_id = 0  -- a global: setup's thread:set writes the thread's globals, which a local would hide

-- Runs in the main state once per thread: each thread gets its own number, so class names never collide.
function setup(thread)
   threads = threads + 1
   thread:set("thread_id", threads)
end

function init(args)
   classify = wrk.format("POST", "/v1/classify",
      { ["Content-Type"] = "multipart/form-data; boundary=" .. multipart.boundary },
      multipart.body("query.png", multipart.read(dir .. "/query.png")))
   for i = 0, images - 1 do
      enrol[i] = multipart.body(i .. ".png", multipart.read(dir .. "/enrol/" .. i .. ".png"))
   end
end

function request()
   counter = counter + 1
   if counter % every ~= 0 then return classify end
   local n = counter / every
   return wrk.format("POST", "/v1/classes/bench-" .. thread_id .. "-" .. n .. "/examples",
      { ["Content-Type"] = "multipart/form-data; boundary=" .. multipart.boundary }, enrol[n % images])
end
