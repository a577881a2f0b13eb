/** What the bench server and the load generator must agree on. */

/** Hook keys (the server takes the app's variables over these when set). */
export const BENCH_PREAUTH_KEY = "bench-preauth-key-0123456789abcdef0123456789";
export const BENCH_METER_KEY = "bench-meter-key-0123456789abcdef0123456789ab";

/** The charger of the pre-authorize body in `hooks.lua`, and of the old scan-pair rows. */
export const BENCH_CHARGER = "BENCH-CB-1";

/** Rows one meter-values body of `hooks.lua` stores: four distinct samples. */
export const SAMPLES_PER_METER_CALL = 4;
