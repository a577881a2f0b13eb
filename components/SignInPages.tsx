import { Page } from "./Page.tsx";

/** What `/login` says after every accepted request, account or not. */
export const LINK_ON_ITS_WAY = "If this address has an account, a link is on its way. " +
  "Check your inbox: the link works once, for 15 minutes.";

export interface SignInFormPageProps {
  csrf: string;
  email?: string;
  /** Why the request was refused (bad address, too many requests). */
  error?: string;
  /** After a request: the one answer everyone gets. */
  sent?: boolean;
}

/** `/login`: a customer away from a charger asks for a sign-in link by email. */
export function SignInFormPage(props: SignInFormPageProps) {
  return (
    <Page title="Sign in · ExpresSync">
      <section class="auth-card">
        <h1>
          <span class="brand-mark" aria-hidden="true">⚡</span> Sign in
        </h1>
        <p class="lead">
          Not at a charger? Enter the email address of your account and we'll mail you a link.
        </p>
        {props.sent && (
          <p class="notice ok" role="status" data-testid="sign-in-sent">{LINK_ON_ITS_WAY}</p>
        )}
        {props.error && <p class="alert" role="alert">{props.error}</p>}
        <form method="post" action="/login">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <label for="email">Email</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="email"
            maxLength={320}
            required
            value={props.email ?? ""}
          />
          <button type="submit" class="button wide">Email me a sign-in link</button>
        </form>
        <p class="muted small">At a charger? Scan its QR code and tap your card instead.</p>
      </section>
    </Page>
  );
}

/** `/login/email?token=…`: one button, so a mail scanner opening the link uses nothing up. */
export function SignInButtonPage(props: { csrf: string; token: string }) {
  return (
    <Page title="Sign in · ExpresSync">
      <section class="auth-card">
        <h1>
          <span class="brand-mark" aria-hidden="true">⚡</span> Sign in to ExpresSync
        </h1>
        <p class="lead">Press the button to sign in on this device.</p>
        <form method="post" action="/login/email">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <input type="hidden" name="token" value={props.token} />
          <button type="submit" class="button wide">Sign in</button>
        </form>
      </section>
    </Page>
  );
}

/** A link that is malformed, unknown, used or expired: nothing happened; ask for another. */
export function SignInLinkUnusablePage() {
  return (
    <Page title="Sign-in link no longer works · ExpresSync">
      <section class="auth-card">
        <h1>This sign-in link no longer works</h1>
        <p role="alert">
          It has been used, has expired (links work for 15 minutes), or was mistyped.
        </p>
        <p>
          <a class="button wide" href="/login">Get a new sign-in link</a>
        </p>
      </section>
    </Page>
  );
}
