// Admin login: email and password; five failures per email in 15 minutes lock it for the window.
import type { Handlers } from "../../lib/app_deps.ts";
import { loginAdmin } from "../../lib/admin_accounts.ts";
import { csrfToken } from "../../lib/http/csrf.ts";
import { AppError } from "../../lib/errors.ts";
import { renderPage } from "../../lib/http/html.ts";
import { setAdminSessionCookie } from "../../lib/http/web_sessions.ts";
import { CredentialsFields } from "../../components/CredentialsFields.tsx";
import { Page } from "../../components/Page.tsx";

function LoginPage(
  props: { csrf: string; email?: string; error?: string; next: string },
) {
  return (
    <Page title="Admin login · ExpresSync">
      <section class="auth-card">
        <h1>
          <span class="brand-mark" aria-hidden="true">⚡</span> ExpresSync admin
        </h1>
        {props.error && <p class="alert" role="alert">{props.error}</p>}
        <form
          method="post"
          action={`/admin/login?next=${encodeURIComponent(props.next)}`}
        >
          <input type="hidden" name="_csrf" value={props.csrf} />
          <CredentialsFields email={props.email} />
          <button type="submit" class="button wide">Log in</button>
        </form>
      </section>
    </Page>
  );
}

/** Only same-site paths under /admin, so the login cannot be turned into an open redirect. */
const safeNext = (next: string | undefined) =>
  next && /^\/admin(\/[\w\-/.?=&%]*)?$/.test(next) ? next : "/admin";

export const handler: Handlers = {
  GET(c) {
    return renderPage(
      c,
      <LoginPage csrf={csrfToken(c)} next={safeNext(c.req.query("next"))} />,
    );
  },
  async POST(c) {
    const form = await c.req.parseBody();
    const email = String(form.email ?? "");
    const password = String(form.password ?? "");
    const next = safeNext(c.req.query("next"));
    const { db, clock } = c.get("deps");
    try {
      const login = await loginAdmin({ db, clock }, { email, password });
      setAdminSessionCookie(c, login.sessionToken, login.expiresAt);
      return c.redirect(next, 303);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const page = (message: string) => (
        <LoginPage
          csrf={csrfToken(c)}
          email={email}
          error={message}
          next={next}
        />
      );
      if (error.status === 429) {
        const minutes = Math.ceil(Number(error.details.retryAfterSeconds) / 60);
        return renderPage(
          c,
          page(
            `Too many failed attempts for this email. Try again in ${minutes} min.`,
          ),
          429,
          error.headers,
        );
      }
      return renderPage(c, page("Wrong email or password."), 401);
    }
  },
};
