-- lead.lua: wrk script that POSTs the signed leads listed in a request
-- file written by bench/cmd/loadbench.
--   wrk -t2 -c64 -d5s -s bench/wrk/lead.lua URL -- FILE THREADS
-- FILE lines: "path P", "header Name: value", "sig Header" (the header
-- carrying each lead's signature), "pre TEXT", "post TEXT" (the body is
-- pre .. n .. post) and "n N SIGNATURE" (one per lead). With one lead the
-- request is built once; with several, thread t of THREADS sends leads
-- t+1, t+1+THREADS, ... so that no two requests repeat a lead (it wraps
-- around when the file runs out).

local count = 0

function setup(thread)
  thread:set("tid", count)
  count = count + 1
end

function init(args)
  local f = assert(io.open(args[1], "r"), "cannot open the request file")
  path, headers, sig, pre, post = "/", {}, nil, "", ""
  ns, sigs = {}, {}
  for line in f:lines() do
    local key, rest = line:match("^(%a+) (.*)$")
    if key == "path" then
      path = rest
    elseif key == "header" then
      local k, v = rest:match("^([^:]+): (.*)$")
      headers[k] = v
    elseif key == "sig" then
      sig = rest
    elseif key == "pre" then
      pre = rest
    elseif key == "post" then
      post = rest
    elseif key == "n" then
      local n, s = rest:match("^(%S+) (%S+)$")
      ns[#ns + 1] = n
      sigs[#sigs + 1] = s
    end
  end
  f:close()
  assert(#ns > 0, "no leads in the request file")
  stride = tonumber(args[2]) or 1
  first = (tid or 0) % stride + 1
  i = first
  if #ns == 1 then
    if sig then headers[sig] = sigs[1] end
    static = wrk.format("POST", path, headers, pre .. ns[1] .. post)
  end
end

function request()
  if static then
    return static
  end
  local k = i
  i = i + stride
  if i > #ns then
    i = first
  end
  if sig then headers[sig] = sigs[k] end
  return wrk.format("POST", path, headers, pre .. ns[k] .. post)
end
