import { Page } from "./Page.tsx";

export interface ErrorPageProps {
  status: number;
  code: string;
}

/** What a person sees when a page or form is refused; the API answers JSON instead. */
const EXPLANATIONS: Record<string, [string, string]> = {
  forbidden: [
    "This form has expired",
    "Go back, reload the page and send the form again.",
  ],
  invalid_body: ["Check what you entered", "Go back and correct the form."],
  not_found: ["Page not found", "Check the address, or start again from the home page."],
  method_not_allowed: ["Page not found", "Check the address, or start again from the home page."],
  payload_too_large: ["That form was too large", "Nothing was saved. Go back and shorten it."],
  rate_limited: ["Too many attempts", "Wait a minute, then try again."],
};

export function ErrorPage(props: ErrorPageProps) {
  const [title, advice] = EXPLANATIONS[props.code] ??
    ["Something went wrong", "Nothing was saved. Try again in a moment."];
  return (
    <Page title={`${title} · ExpresSync`}>
      <h1>{title}</h1>
      <p role="alert">{advice}</p>
      <p class="muted small">
        Error {props.status} · <span class="mono">{props.code}</span> · <a href="/">Home</a>
      </p>
    </Page>
  );
}
