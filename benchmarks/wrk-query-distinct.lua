-- every request a different question (no repeats within 60,000 requests): measures the model, not the cache
local names = {"Ana","Bruno","Chen","Dara","Emil","Fatima","Goran","Hana","Ivo","Jun","my sister","grandma","Priya","the neighbour","my boss"}
local things = {"the kitchen sink","a vintage camera","tickets","a piano lesson","the tax forms","a used car","tomato seedlings","a jazz record","the garden shed","a birthday cake"}
local places = {"Lisbon","Berlin","Osaka","Quito","Oslo","Lima","Hanoi","Perth","Dublin","Seville","home","the office"}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "bench-key"
request = function()
  i = i + 1
  local q = "what happened with " .. things[(i % #things) + 1] .. " and " .. names[(math.floor(i / 10) % #names) + 1]
         .. " in " .. places[(math.floor(i / 150) % #places) + 1] .. " (" .. i .. ")"
  return wrk.format(nil, "/memory/query", nil, '{"query": "' .. q .. '", "k": 10}')
end
