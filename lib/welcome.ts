/**
 * The lines a person reads at start: where the app is and how to log in.
 * Printed to stderr as plain text, beside the JSON logs on stdout.
 */
export function printWelcome(args: {
  port: number;
  publicBaseUrl: string;
  setupUrl?: string;
  created?: string;
  demoLogin?: { email: string; password: string };
}): void {
  const lines = [
    "",
    `  ExpresSync is running: ${args.publicBaseUrl}  (listening on port ${args.port})`,
    `  Admin dashboard:       ${args.publicBaseUrl}/admin`,
  ];
  if (args.demoLogin) {
    lines.push(
      `  Demo admin login:      ${args.demoLogin.email} / ${args.demoLogin.password}`,
      "  Simulated sessions start within a few seconds; customers' QR links are on /admin/chargers.",
    );
  } else if (args.setupUrl) {
    lines.push(
      "",
      "  No admin exists yet. Open this one-time link to create the first one:",
      `    ${args.setupUrl}`,
      "  (or set ADMIN_EMAIL and ADMIN_PASSWORD, or run `deno task admin <email>`)",
    );
  } else if (args.created) {
    lines.push(
      `  Admin ${args.created} created from ADMIN_EMAIL/ADMIN_PASSWORD: log in with them.`,
    );
  } else {
    lines.push("  Log in with your admin email and password.");
  }
  lines.push("");
  console.error(lines.join("\n"));
}
