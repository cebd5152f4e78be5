local queries = {
  "where did my sister travel?", "who fixed the kitchen sink?", "what did grandma cook?",
  "when is the dentist appointment?", "who sold the vintage camera?", "what did Priya learn?",
  "jazz concert last Monday", "tomato seedlings in March",
}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "bench-key"
request = function()
  i = i + 1
  local body = '{"query": "' .. queries[(i % #queries) + 1] .. '", "k": 10}'
  return wrk.format(nil, "/memory/query", nil, body)
end
