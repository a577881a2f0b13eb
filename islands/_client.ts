/**
 * The browser entry: hydrates every `[data-island]` the server rendered with
 * the props it serialized. Bundled by `deno task build` into
 * static/build/islands.js; only pages with islands load it.
 */
import { type ComponentType, h, hydrate } from "preact";
import CopySecret from "./CopySecret.tsx";
import MySessions from "./MySessions.tsx";
import ScanToLogin from "./ScanToLogin.tsx";
import SessionBoard from "./SessionBoard.tsx";

// deno-lint-ignore no-explicit-any
const ISLANDS: Record<string, ComponentType<any>> = {
  CopySecret,
  MySessions,
  ScanToLogin,
  SessionBoard,
};

for (const element of document.querySelectorAll<HTMLElement>("[data-island]")) {
  const island = ISLANDS[element.dataset.island ?? ""];
  if (island) {
    hydrate(h(island, JSON.parse(element.dataset.props ?? "{}")), element);
  }
}
