-- POST one JSON body per request, cycling through the lines of BODIES (env), and time each
-- request here: one connection per wrk thread, so request() and response() alternate.
-- Latencies (microseconds) go to OUT_DIR/lat-<thread>.txt, one per line.
local ffi = require("ffi")
ffi.cdef[[
typedef long time_t;
typedef struct timespec { time_t tv_sec; long tv_nsec; } timespec;
int clock_gettime(int clk_id, timespec *tp);
]]
local ts = ffi.new("timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local bodies, i, started, out = {}, 0, 0, nil

function init(args)
  for line in io.lines(os.getenv("BODIES")) do table.insert(bodies, line) end
  i = id * 7919 % #bodies
  out = io.open(os.getenv("OUT_DIR") .. "/lat-" .. id .. ".txt", "w")
  out:setvbuf("line")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local key = os.getenv("API_KEY")
  if key and key ~= "" then wrk.headers["X-API-Key"] = key end
end

function request()
  i = i % #bodies + 1
  started = now_us()
  return wrk.format(nil, nil, nil, bodies[i])
end

function response(status, headers, body)
  out:write(string.format("%d %.1f\n", status, now_us() - started))
end
