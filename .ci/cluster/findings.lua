-- POST /mp/findings for .ci/cluster.sh: like bench/load/findings.lua (every request its
-- own Idempotency-Key and client_id, the officers of the list in turn), and each 2xx
-- answer's finding id appended to OUT_DIR/ids-<thread>.txt, so the script can look every
-- acknowledged write up in the database after an instance was killed mid-load.
-- Request N of thread T is client id cl-TAG-T-N with key key-cl-TAG-T-N, location
-- 车间<N % 50>, as the officer on line (N + T) % lines + 1: the script rebuilds from its
-- key a write that was never answered, to send it again as the phone would.
--   wrk -s .ci/cluster/findings.lua URL -- CREDENTIALS_FILE TAG OUT_DIR
dofile("bench/load/common.lua")

local tokens, tag, n, out = {}, "", 0, nil

function init(args)
  for line in io.lines(args[1]) do
    local token = line:match("^(%S+)")
    if token then table.insert(tokens, token) end
  end
  tag = args[2]
  out = assert(io.open(string.format("%s/ids-%d.txt", args[3], thread_no), "a"))
end

function request()
  n = n + 1
  local id = string.format("cl-%s-%d-%d", tag, thread_no, n)
  local token = tokens[(n + thread_no) % #tokens + 1]
  local body = string.format(
    '{"client_id":"%s","location":"车间%d","description":"防护罩缺失","grade":"general","accident_types":["03"],"submit":true}',
    id, n % 50)
  return wrk.format("POST", "/mp/findings", {
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = "key-" .. id,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  count_status(status)
  if status >= 200 and status < 300 then
    -- Written at once: wrk ends its threads without closing their files.
    out:write((body:match('"id":(%d+)') or "none"), "\n")
    out:flush()
  end
end
