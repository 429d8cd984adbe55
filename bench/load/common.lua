-- Shared by every round of bench/load.sh (loaded with dofile from the repository root).
-- Prints one machine-readable line at the end of a round, which load.sh turns into its
-- report line; a write round's script also counts answers by status in each thread.

local threads = {}

-- Each thread gets a number, so ids made in different threads never collide.
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

-- For scripts that define response(): tally an answer's status in this thread.
statuses = {}
function count_status(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, seen = {}, false
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for code, n in pairs(s or {}) do
      total[code] = (total[code] or 0) + n
      seen = true
    end
  end
  local codes, non2xx = {}, 0
  for code, n in pairs(total) do
    table.insert(codes, code .. "=" .. n)
    if code < 200 or code > 299 then non2xx = non2xx + n end
  end
  table.sort(codes)
  local e = summary.errors
  -- Without a response() callback wrk only knows statuses above 399.
  if not seen then non2xx = e.status end
  io.write(string.format(
    "LOAD requests=%d seconds=%.3f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d statuses=%s\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), non2xx,
    e.connect + e.read + e.write + e.timeout, seen and table.concat(codes, ",") or "-"))
end
