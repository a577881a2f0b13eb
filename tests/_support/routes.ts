/**
 * The app's routes as `routes/_manifest.ts` lists them, so tests that must
 * cover every route of an area read the list instead of keeping their own.
 */
import { routes } from "../../routes/_manifest.ts";

export interface RouteCase {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The route's path with each `:param` filled in with a sample value. */
  path: string;
  /** The path as the manifest spells it. */
  pattern: string;
}

/** Every method of every route whose path is `prefix` or starts with `prefix/`. */
export function routeCases(prefix: string): RouteCase[] {
  return routes
    .filter(([pattern]) => pattern === prefix || pattern.startsWith(`${prefix}/`))
    .flatMap(([pattern, handlers]) =>
      (Object.keys(handlers) as RouteCase["method"][]).map((method) => ({
        method,
        path: pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => `${name}-1`),
        pattern,
      }))
    );
}
