import type { ComponentChildren } from "preact";
import { useContext } from "preact/hooks";
import { AdminNavContext } from "../lib/http/admin_nav.ts";

export interface PageProps {
  title: string;
  /** Load the islands bundle: only pages that contain islands ship JavaScript. */
  islands?: boolean;
  /** The islands bundle's content hash, for cache busting. */
  buildId?: string;
  /** Admin navigation, with the current section highlighted. */
  adminNav?:
    | "dashboard"
    | "chargers"
    | "customers"
    | "partners"
    | "billing"
    | "pnc"
    | "email"
    | "hooks";
  csrf?: string;
  children: ComponentChildren;
  wide?: boolean;
}

/** The document shell every server-rendered page uses. */
export function Page(props: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/static/app.css" />
        {props.islands && (
          <script
            type="module"
            src={`/static/build/islands.js?v=${props.buildId ?? "dev"}`}
          />
        )}
      </head>
      <body>
        {props.adminNav && <AdminNav current={props.adminNav} csrf={props.csrf ?? ""} />}
        <main class={props.wide ? "page page-wide" : "page"}>
          {props.children}
        </main>
      </body>
    </html>
  );
}

function AdminNav({ current, csrf }: { current: string; csrf: string }) {
  const { pncNeedsAction, partnersFailing, hooksFailing } = useContext(AdminNavContext);
  const link = (id: string, href: string, label: string) => (
    <a href={href} aria-current={current === id ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <header class="topbar">
      <a class="brand" href="/admin">
        <span class="brand-mark" aria-hidden="true">⚡</span> ExpresSync
      </a>
      <nav aria-label="Admin">
        {link("dashboard", "/admin", "Live")}
        {link("chargers", "/admin/chargers", "Chargers")}
        {link("customers", "/admin/customers", "Customers")}
        <a
          href="/admin/partners"
          aria-current={current === "partners" ? "page" : undefined}
          data-testid="nav-partners"
        >
          Partners
          {partnersFailing ? <PartnersFailingBadge count={partnersFailing} /> : null}
        </a>
        {link("billing", "/admin/billing", "Billing")}
        {link("email", "/admin/email", "Email")}
        {link("hooks", "/admin/hooks", "Hooks")}
        <a
          href="/admin/pnc"
          aria-current={current === "pnc" ? "page" : undefined}
          data-testid="nav-pnc"
        >
          {"Plug&Charge"}
          {pncNeedsAction ? <NeedsActionBadge count={pncNeedsAction} /> : null}
        </a>
      </nav>
      <form method="post" action="/admin/logout" class="inline">
        <input type="hidden" name="_csrf" value={csrf} />
        <button type="submit" class="link">Log out</button>
      </form>
      {hooksFailing?.length ? <HooksFailingBanner hooks={hooksFailing} /> : null}
    </header>
  );
}

/** On every admin page while a hook is failing (lib/hook_health.ts says when). */
function HooksFailingBanner({ hooks }: { hooks: string[] }) {
  return (
    <p class="alert hooks-banner" role="alert" data-testid="hooks-failing-banner">
      {hooks.length === 1 ? "A hook is failing: " : "Hooks are failing: "}
      <strong>{hooks.join(", ")}</strong>
      {" — refused or failed calls in the last 5 minutes and not one good call. "}
      <a href="/admin/hooks">See why on the hooks page</a>.
    </p>
  );
}

/** How many Plug&Charge events wait for an admin, next to the nav link. */
function NeedsActionBadge({ count }: { count: number }) {
  const label = `${count} ${count === 1 ? "event needs" : "events need"} action`;
  return (
    <span class="badge badge-warn nav-count" title={label} aria-label={label}>
      {count}
    </span>
  );
}

/** How many partners have deliveries failing for more than 24 h, next to the nav link. */
function PartnersFailingBadge({ count }: { count: number }) {
  const label = `${count} ${count === 1 ? "partner has" : "partners have"} deliveries failing ` +
    "for more than 24 h";
  return (
    <span class="badge badge-warn nav-count" title={label} aria-label={label}>
      {count}
    </span>
  );
}
