// The emailed sign-in link: opening it shows a button (GET uses nothing up); pressing it signs in.
import type { AppContext, Handlers } from "../../lib/app_deps.ts";
import { AppError } from "../../lib/errors.ts";
import { CUSTOMER_SESSION_COOKIE, setSessionCookie } from "../../lib/http/cookies.ts";
import { csrfToken } from "../../lib/http/csrf.ts";
import { renderPage } from "../../lib/http/html.ts";
import { checkSignInLink, isSignInToken, signInWithLink } from "../../lib/sign_in.ts";
import { SignInButtonPage, SignInLinkUnusablePage } from "../../components/SignInPages.tsx";

// The token is in this page's URL: never hand it to another site in a Referer. Not
// `no-referrer`: browsers then send `Origin: null` with the form, which CSRF refuses.
const REFERRER_POLICY = { "referrer-policy": "same-origin" };

/** 400 for what cannot be a token; 410 for a token that no longer works. Nothing changed. */
const unusable = (c: AppContext, token: unknown) =>
  renderPage(c, <SignInLinkUnusablePage />, isSignInToken(token) ? 410 : 400, REFERRER_POLICY);

export const handler: Handlers = {
  async GET(c) {
    const token = c.req.query("token");
    if (!isSignInToken(token) || !await checkSignInLink(c.get("services").signIn, token)) {
      return unusable(c, token);
    }
    return renderPage(
      c,
      <SignInButtonPage csrf={csrfToken(c)} token={token} />,
      200,
      REFERRER_POLICY,
    );
  },
  async POST(c) {
    const form = await c.req.parseBody();
    try {
      const login = await signInWithLink(c.get("services").signIn, form.token);
      setSessionCookie(c, CUSTOMER_SESSION_COOKIE, login.sessionToken, login.expiresAt);
      return c.redirect("/me", 303);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== "invalid_link") throw error;
      return unusable(c, form.token);
    }
  },
};
