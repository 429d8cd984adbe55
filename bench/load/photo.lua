-- POST /mp/evidence rounds of bench/load.sh: each request uploads the same small JPEG as
-- a new photo (multipart, as wx.uploadFile sends it) of a finding, taking the officers
-- of the list in turn (one line per officer: token, then the id of a finding of theirs).
-- client_id must be a UUID: it is made from the round's number, the thread and a counter.
--   wrk -s bench/load/photo.lua URL -- CREDENTIALS_FILE ROUND_NUMBER PHOTO
dofile("bench/load/common.lua")

local owners, round, photo, n = {}, 0, "", 0
local boundary = "zhichaLoadBoundary7f3a"

function init(args)
  for line in io.lines(args[1]) do
    local token, finding = line:match("^(%S+)%s+(%d+)")
    if token then table.insert(owners, { token = token, finding = finding }) end
  end
  round = tonumber(args[2]) % 4294967296
  local f = assert(io.open(args[3], "rb"))
  photo = f:read("*a")
  f:close()
end

local function field(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

function request()
  n = n + 1
  local owner = owners[(n + thread_no) % #owners + 1]
  local uuid = string.format("%08x-%04x-4000-8000-%012x", round, thread_no, n)
  local body = field("client_id", uuid) .. field("owner_kind", "finding") .. field("owner_id", owner.finding)
    .. field("phase", "before")
    .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
    .. "Content-Type: image/jpeg\r\n\r\n" .. photo .. "\r\n--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/mp/evidence", {
    ["Authorization"] = "Bearer " .. owner.token,
    ["Idempotency-Key"] = "key-" .. uuid,
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
  }, body)
end

function response(status, headers, body)
  count_status(status)
end
