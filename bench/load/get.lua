-- A GET round of bench/load.sh: wrk's own static request (path and headers from the
-- command line), so the client adds no per-request cost; only the summary line.
dofile("bench/load/common.lua")
