import type { ComponentChildren } from "preact";

export interface PageProps {
  title: string;
  children: ComponentChildren;
}

/** The document shell every server-rendered page uses. */
export function Page({ title, children }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        <link rel="stylesheet" href="/static/app.css" />
      </head>
      <body>
        <main class="page">{children}</main>
      </body>
    </html>
  );
}
