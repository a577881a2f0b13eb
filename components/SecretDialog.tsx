// The one-shot display of a partner's new secret (seed 003: "it displays once in a one-shot modal").
import CopySecret from "../islands/CopySecret.tsx";
import { Island } from "./Island.tsx";
import { formatDate } from "./format.ts";

export interface SecretDialogProps {
  title: string;
  secret: string;
  inboundUrl: string;
  signatureHeader: string;
  /** The page's GET URL, where a reload lands. */
  pageUrl: string;
  /** When the previous secret stops, if a grace window was chosen. */
  previousSecretValidUntil?: string | null;
}

/**
 * An open `<dialog>` rendered only on the POST that created or rotated the
 * secret: no later GET can show it, as nothing stores it in a form we can read back.
 */
export function SecretDialog(props: SecretDialogProps) {
  return (
    <dialog open class="secret-dialog" aria-labelledby="secret-title">
      <h2 id="secret-title">{props.title}</h2>
      <p>
        Copy this signing secret now and hand it to the partner:{" "}
        <strong>it is shown only once</strong>. If it is lost, regenerate it.
      </p>
      <Island
        name="CopySecret"
        component={CopySecret}
        props={{ secret: props.secret, pageUrl: props.pageUrl }}
      />
      <p class="small">
        The partner posts to <code class="mono">{props.inboundUrl}</code>, signed in the header{" "}
        <code class="mono">{props.signatureHeader}</code>.
      </p>
      {props.previousSecretValidUntil && (
        <p class="notice small">
          The previous secret is still accepted until{" "}
          <time dateTime={props.previousSecretValidUntil}>
            {formatDate(props.previousSecretValidUntil)}
          </time>.
        </p>
      )}
      <form method="dialog">
        <button type="submit" class="button">I have copied it</button>
      </form>
    </dialog>
  );
}
