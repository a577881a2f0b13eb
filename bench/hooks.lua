-- wrk script for bench/run.ts: signed hook bodies, as SteVe sends them.
--
-- BENCH_BODY=pre-authorize  one fixed body, signed once (wrk's static request).
-- BENCH_BODY=meter-values   a fresh body per request: its own transaction and
--                           timestamp, so every sample is a new row; signed
--                           with libcrypto's HMAC through LuaJIT's FFI (~1 µs),
--                           which keeps the generator far from being the bound.
-- BENCH_KEY                 the hook's HMAC key.
-- BENCH_TX_BASE             first transaction number (distinct per run).
--
-- done() prints one line "BENCH_JSON {...}" with counts and latencies (µs).

local ffi = require("ffi")
ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *md, const void *key, int key_len,
                    const unsigned char *data, size_t data_len,
                    unsigned char *out, unsigned int *out_len);
]]
local libcrypto = ffi.load("libcrypto.so.3")
local mac = ffi.new("unsigned char[32]")
local mac_len = ffi.new("unsigned int[1]")
local hex = {}
for i = 0, 255 do hex[i] = string.format("%02x", i) end

local key = assert(os.getenv("BENCH_KEY"), "BENCH_KEY is not set")

local function sign(body)
  libcrypto.HMAC(libcrypto.EVP_sha256(), key, #key, body, #body, mac, mac_len)
  local out = {}
  for i = 0, 31 do out[i + 1] = hex[mac[i]] end
  return table.concat(out)
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local mode = os.getenv("BENCH_BODY")
if mode == "pre-authorize" then
  -- No armed pair for this charger: the common answer, `{"override":null}`.
  wrk.body = '{"idTag":"BENCH-TAG-1","chargeBoxId":"BENCH-CB-1","connectorId":1}'
  wrk.headers["X-Signature"] = sign(wrk.body)
elseif mode == "meter-values" then
  -- Four samples per call, each a distinct (measurand, phase): four rows.
  local template = '{"chargeBoxId":"BENCH-CB-%d","transactionPk":%.0f,"connectorId":1,'
    .. '"timestamp":"%s.%03dZ","samples":['
    .. '{"value":"%d","measurand":"Energy.Active.Import.Register","unit":"Wh","context":"Sample.Periodic"},'
    .. '{"value":"%d","measurand":"Power.Active.Import","unit":"W","context":"Sample.Periodic"},'
    .. '{"value":"%.1f","measurand":"Current.Import","unit":"A","phase":"L1"},'
    .. '{"value":"%.1f","measurand":"Voltage","unit":"V","phase":"L1-N"}]}'
  local tx_base = tonumber(os.getenv("BENCH_TX_BASE") or "1")
  local started_ms = (os.time() - 86400) * 1000
  local sent = 0

  function request()
    sent = sent + 1
    local tx = tx_base + thread_index * 1e9 + sent
    local ms = started_ms + sent
    local body = string.format(template, 100 + tx % 100, tx,
      os.date("!%Y-%m-%dT%H:%M:%S", math.floor(ms / 1000)), ms % 1000,
      1000 + sent, 7000 + sent % 400, 16 + (sent % 10) / 10, 230 + (sent % 7) / 10)
    wrk.headers["X-Signature"] = sign(body)
    return wrk.format(nil, nil, nil, body)
  end
else
  error("BENCH_BODY must be pre-authorize or meter-values")
end

-- Runs in wrk's main state: number the threads so their transactions differ.
local threads = 0
function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

function done(summary, latency)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,'
      .. '"writeErrors":%d,"badStatus":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,'
      .. '"p999Us":%d,"maxUs":%d,"meanUs":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
