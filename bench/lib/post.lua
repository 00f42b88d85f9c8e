-- wrk script: POST the body in $WRK_BODY_FILE with content-type application/json,
-- or GET when $WRK_METHOD=GET. Keep-alive (wrk's default).
local method = os.getenv("WRK_METHOD") or "POST"
wrk.method = method
if method == "POST" then
  local path = assert(os.getenv("WRK_BODY_FILE"), "WRK_BODY_FILE not set")
  local f = assert(io.open(path, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer sk-bench"
end
