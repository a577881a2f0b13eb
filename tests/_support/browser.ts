/**
 * Chromium for browser tests: Debian's binary driven by playwright-core, the
 * flags this machine needs, and screenshots under test-artifacts/. Without
 * Chromium the tests are skipped, except under CI where that is a failure.
 */
import { type Browser, chromium, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
if (!hasChromium && Deno.env.get("CI") === "true") {
  throw new Error("CI needs Debian's chromium at /usr/bin/chromium for the browser tests");
}
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;
await Deno.mkdir(ARTIFACTS, { recursive: true });

/**
 * Headless Chromium; the background-networking flag keeps it off the closed network.
 * `args` adds flags, e.g. `--host-resolver-rules` to open a link as mailed, at the
 * test app's `PUBLIC_BASE_URL`.
 */
export function launchChromium(options: { args?: string[] } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      ...options.args ?? [],
    ],
  });
}

/** A full-page screenshot in test-artifacts/<name>.png, to look at. */
export const shot = (page: Page, name: string) =>
  page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
