/**
 * The admin automation API's bearer token (`ADMIN_API_TOKEN`). With no token
 * configured the API is closed: every call is 401.
 */
import type { AppContext } from "./app_deps.ts";
import { AppError } from "./errors.ts";
import { secretsEqual } from "./tokens.ts";

export function requireAdminToken() {
  return async (c: AppContext, next: () => Promise<void>) => {
    const expected = c.get("deps").config.adminApiToken;
    const header = c.req.header("authorization") ?? "";
    const presented = header.startsWith("Bearer ")
      ? header.slice(7).trim()
      : "";
    if (!expected || !presented || !secretsEqual(presented, expected)) {
      throw new AppError(401, "unauthorized", {}, {
        "www-authenticate": "Bearer",
      });
    }
    await next();
  };
}
