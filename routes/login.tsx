// Sign-in by email for customers away from a charger: ask for a link (lib/sign_in.ts).
import type { Handlers } from "../lib/app_deps.ts";
import { AppError } from "../lib/errors.ts";
import { clientAddress } from "../lib/http/client_address.ts";
import { csrfToken } from "../lib/http/csrf.ts";
import { renderPage } from "../lib/http/html.ts";
import { requestSignInLink } from "../lib/sign_in.ts";
import { SignInFormPage } from "../components/SignInPages.tsx";

export const handler: Handlers = {
  GET(c) {
    return renderPage(
      c,
      <SignInFormPage csrf={csrfToken(c)} sent={c.req.query("sent") !== undefined} />,
    );
  },
  async POST(c) {
    const form = await c.req.parseBody();
    try {
      await requestSignInLink(c.get("services").signIn, {
        email: form.email,
        clientAddress: clientAddress(c, c.get("deps").config.trustProxy),
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const email = typeof form.email === "string" ? form.email.slice(0, 320) : "";
      if (error.code === "rate_limited") {
        const minutes = Math.ceil(Number(error.details.retryAfterSeconds) / 60);
        const message = `Too many sign-in requests. Wait ${minutes} min, then try again.`;
        return renderPage(
          c,
          <SignInFormPage csrf={csrfToken(c)} email={email} error={message} />,
          429,
          error.headers,
        );
      }
      if (error.code !== "invalid_body") throw error;
      const message = String(error.details.message ?? "Enter a valid email address.");
      return renderPage(
        c,
        <SignInFormPage csrf={csrfToken(c)} email={email} error={message} />,
        400,
      );
    }
    // The same answer for every accepted address, account or not; a reload does not ask again.
    return c.redirect("/login?sent=1", 303);
  },
};
