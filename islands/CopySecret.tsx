import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

export interface CopySecretProps {
  /** The secret just created or rotated: shown on this one response only. */
  secret: string;
  /** The page's own URL: where a reload goes instead of repeating the POST. */
  pageUrl: string;
}

/**
 * The one-shot secret with a Copy button. On load it turns the POST that
 * showed it into a plain history entry for the page's URL, so a reload is a
 * GET (the secret is gone) rather than a resubmission (a second partner or a
 * second rotation).
 */
export default function CopySecret({ secret, pageUrl }: CopySecretProps) {
  const copied = useSignal<"" | "Copied" | "Select and copy it by hand">("");
  useEffect(() => {
    history.replaceState(null, "", pageUrl);
  }, []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      copied.value = "Copied";
    } catch {
      copied.value = "Select and copy it by hand";
    }
  };
  return (
    <div class="secret-box">
      <code class="mono secret-value" data-testid="secret">{secret}</code>
      <button type="button" class="button secondary small" onClick={copy}>Copy</button>
      <span class="muted small" role="status">{copied.value}</span>
    </div>
  );
}
