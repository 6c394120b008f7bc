-- wrk script: every request is POST /v1/classify with one 105×105 Omniglot PNG (multipart, field "image").
-- BENCH_DIR names the folder bench/serve/prepare.py wrote (query.png).
package.path = "bench/serve/?.lua;" .. package.path
local multipart = require("multipart")
local dir = os.getenv("BENCH_DIR") or "."

wrk.method = "POST"
wrk.path = "/v1/classify"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. multipart.boundary
wrk.body = multipart.body("query.png", multipart.read(dir .. "/query.png"))
