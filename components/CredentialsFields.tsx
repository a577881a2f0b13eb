export interface CredentialsFieldsProps {
  email?: string;
  /** A new password (setup) or the current one (login): changes autocomplete and length hints. */
  newPasswordMinLength?: number;
}

/** The Email and Password fields of the admin login and setup forms. */
export function CredentialsFields({ email, newPasswordMinLength }: CredentialsFieldsProps) {
  return (
    <>
      <label for="email">Email</label>
      <input
        id="email"
        name="email"
        type="email"
        autocomplete="username"
        required
        value={email ?? ""}
      />
      <label for="password">Password</label>
      <input
        id="password"
        name="password"
        type="password"
        autocomplete={newPasswordMinLength ? "new-password" : "current-password"}
        minLength={newPasswordMinLength}
        required
      />
      {newPasswordMinLength && <p class="hint">At least {newPasswordMinLength} characters.</p>}
    </>
  );
}
