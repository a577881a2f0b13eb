// One-time setup link printed at first start: creates the first admin.
import type { Handlers } from "../../lib/app_deps.ts";
import {
  checkSetupToken,
  completeSetup,
  loginAdmin,
  MIN_PASSWORD_LENGTH,
  validateNewAdmin,
} from "../../lib/admin_accounts.ts";
import { csrfToken } from "../../lib/http/csrf.ts";
import { renderPage } from "../../lib/http/html.ts";
import { setAdminSessionCookie } from "../../lib/http/web_sessions.ts";
import { CredentialsFields } from "../../components/CredentialsFields.tsx";
import { Page } from "../../components/Page.tsx";

function SetupPage(
  props: { csrf: string; token: string; email?: string; error?: string },
) {
  return (
    <Page title="Set up ExpresSync">
      <section class="auth-card">
        <h1>Create the first admin</h1>
        <p class="muted">
          This link works once. You can add more admins later with `deno task admin`.
        </p>
        {props.error && <p class="alert" role="alert">{props.error}</p>}
        <form
          method="post"
          action={`/admin/setup?token=${encodeURIComponent(props.token)}`}
        >
          <input type="hidden" name="_csrf" value={props.csrf} />
          <CredentialsFields email={props.email} newPasswordMinLength={MIN_PASSWORD_LENGTH} />
          <button type="submit" class="button wide">
            Create admin and log in
          </button>
        </form>
      </section>
    </Page>
  );
}

const invalid = (
  <Page title="Set up ExpresSync">
    <section class="auth-card">
      <h1>This setup link is no longer valid</h1>
      <p>
        An admin already exists, or the link expired. <a href="/admin/login">Log in</a>.
      </p>
    </section>
  </Page>
);

export const handler: Handlers = {
  async GET(c) {
    const token = c.req.query("token") ?? "";
    const deps = c.get("deps");
    if (!token || !await checkSetupToken(deps, token)) {
      return renderPage(c, invalid, 404);
    }
    return renderPage(c, <SetupPage csrf={csrfToken(c)} token={token} />);
  },
  async POST(c) {
    const token = c.req.query("token") ?? "";
    const form = await c.req.parseBody();
    const email = String(form.email ?? "");
    const password = String(form.password ?? "");
    const deps = c.get("deps");
    const problem = validateNewAdmin({ email, password });
    if (problem) {
      return renderPage(
        c,
        <SetupPage
          csrf={csrfToken(c)}
          token={token}
          email={email}
          error={problem}
        />,
        400,
      );
    }
    try {
      await completeSetup(deps, { token, email, password });
    } catch {
      return renderPage(c, invalid, 404);
    }
    const login = await loginAdmin(deps, { email, password });
    setAdminSessionCookie(c, login.sessionToken, login.expiresAt);
    return c.redirect("/admin", 303);
  },
};
