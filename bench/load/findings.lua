-- POST /mp/findings rounds of bench/load.sh: each request reports one finding, submitted
-- at once, as the next officer of the list in turn (one line per officer: token, then
-- anything). Every request has its own Idempotency-Key and client_id, so none is a replay.
--   wrk -s bench/load/findings.lua URL -- CREDENTIALS_FILE TAG
dofile("bench/load/common.lua")

local tokens, tag, n = {}, "", 0

function init(args)
  for line in io.lines(args[1]) do
    local token = line:match("^(%S+)")
    if token then table.insert(tokens, token) end
  end
  tag = args[2]
end

function request()
  n = n + 1
  local id = string.format("load-%s-%d-%d", tag, thread_no, n)
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
end
