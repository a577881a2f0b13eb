import assert from "node:assert/strict";
import { renderSignInMail } from "./sign_in_mail.ts";

Deno.test("sign-in mail - the link in text and HTML, its life, what to do if not asked", () => {
  const link = "https://charge.example.test/login/email?token=" + "A".repeat(43);
  const mail = renderSignInMail({ link, minutes: 15 });
  assert.equal(mail.subject, "Your ExpresSync sign-in link");
  assert.ok(mail.text.includes(`\n${link}\n`), "the link on a line of its own");
  assert.match(mail.text, /It works once, for 15 minutes\./);
  assert.match(mail.text, /If you did not ask for it, ignore this mail/);
  assert.ok(mail.html.includes(`<a href="${link}">Sign in to ExpresSync</a>`));
  assert.match(mail.html, /If you did not ask for it, ignore this mail/);
});

Deno.test("sign-in mail - the HTML part escapes the link (PUBLIC_BASE_URL is the operator's text)", () => {
  const mail = renderSignInMail({ link: `https://x.test/"><script>&?token=t`, minutes: 15 });
  assert.ok(!mail.html.includes("<script>"));
  assert.ok(mail.html.includes(`href="https://x.test/&quot;&gt;&lt;script&gt;&amp;?token=t"`));
});
