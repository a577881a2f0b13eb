/**
 * The sign-in link mail (issue 14 §3): plain text and a simple HTML part,
 * the link, how long it works, and what to do when nobody asked for it.
 * lib/sign_in.ts queues it; its length is bounded (a fixed text, a 43-character
 * token and the operator's `PUBLIC_BASE_URL`), far inside the worker's limits.
 */

export const SIGN_IN_SUBJECT = "Your ExpresSync sign-in link";

const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");

/** Subject, text and HTML of the mail carrying `link`, valid `minutes` minutes. */
export function renderSignInMail(
  args: { link: string; minutes: number },
): { subject: string; text: string; html: string } {
  const text = [
    "Hello,",
    "",
    "here is your link to sign in to ExpresSync:",
    "",
    args.link,
    "",
    `It works once, for ${args.minutes} minutes. Open it and press "Sign in".`,
    "",
    "If you did not ask for it, ignore this mail: nothing happens without the link.",
  ].join("\n") + "\n";
  const href = escapeHtml(args.link);
  const html = `<!doctype html>
<html lang="en"><body style="font-family: sans-serif; line-height: 1.5">
<p>Hello,</p>
<p>here is your link to sign in to ExpresSync:</p>
<p><a href="${href}">Sign in to ExpresSync</a></p>
<p>It works once, for ${args.minutes} minutes. Open it and press “Sign in”.</p>
<p style="color: #555">If you did not ask for it, ignore this mail: nothing happens without the link.</p>
<p style="color: #555; font-size: 0.9em">${href}</p>
</body></html>
`;
  return { subject: SIGN_IN_SUBJECT, text, html };
}
