import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

export interface ScanToLoginProps {
  chargeBoxId: string;
  chargerName: string;
  /** The QR token from the scanned code (`?k=`). */
  token: string;
  /** How long an armed pair waits for the tap (`SCAN_PAIR_TTL_SECONDS`): the progress bar's full length. */
  ttlSeconds: number;
}

type Problem = { title: string; detail: string; retry: boolean };
type Phase = "arming" | "waiting" | "matched" | "problem";

const PROBLEMS = {
  invalidQr: {
    title: "This QR code no longer works",
    detail: "The charger's code was replaced. Scan the code on the charger again.",
    retry: false,
  },
  busy: {
    title: "Someone else is logging in here",
    detail: "Another phone is waiting for a card at this charger. Try again in a minute.",
    retry: true,
  },
  expired: {
    title: "Time's up",
    detail: "No card was tapped in time.",
    retry: true,
  },
  cancelled: {
    title: "Cancelled",
    detail: "Nothing was changed.",
    retry: true,
  },
  unknownTag: {
    title: "We don't know this card",
    detail: "It isn't linked to an account yet. Ask the operator to link it, or try another card.",
    retry: true,
  },
  failed: {
    title: "Something went wrong",
    detail: "We couldn't reach the server. Check your connection and try again.",
    retry: true,
  },
} satisfies Record<string, Problem>;

const rateLimited = (seconds: number): Problem => ({
  title: "Too many attempts",
  detail: `Please wait ${seconds} seconds before trying again.`,
  retry: true,
});

/**
 * Scan-to-login at a charger: arms a scan-pair, asks for a card tap with a
 * countdown, and logs the customer in when SteVe's pre-authorize hands the
 * tap to this browser.
 */
export default function ScanToLogin(
  { chargeBoxId, chargerName, token, ttlSeconds }: ScanToLoginProps,
) {
  const phase = useSignal<Phase>("arming");
  const problem = useSignal<Problem | null>(null);
  const pairId = useSignal<string | null>(null);
  const expiresAt = useSignal(0);
  const now = useSignal(Date.now());
  const reconnecting = useSignal(false);
  const attempt = useSignal(0);

  useEffect(() => {
    let source: EventSource | null = null;
    let gone = false;
    const fail = (p: Problem) => {
      source?.close();
      if (gone) return;
      problem.value = p;
      phase.value = "problem";
    };
    const tick = setInterval(() => {
      now.value = Date.now();
      if (
        phase.value === "waiting" && expiresAt.value &&
        now.value >= expiresAt.value
      ) {
        fail(PROBLEMS.expired);
      }
    }, 250);

    const login = async (id: string) => {
      phase.value = "matched";
      const res = await fetch("/api/auth/scan-login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ pairId: id }),
      }).catch(() => null);
      if (res?.ok) return location.assign("/me");
      fail(res?.status === 404 ? PROBLEMS.unknownTag : PROBLEMS.failed);
    };

    (async () => {
      phase.value = "arming";
      problem.value = null;
      const res = await fetch("/api/auth/scan-pair", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ chargeBoxId, k: token }),
      }).catch(() => null);
      if (gone) return;
      if (!res) return fail(PROBLEMS.failed);
      if (res.status === 429) {
        return fail(rateLimited(Number(res.headers.get("retry-after")) || 60));
      }
      if (res.status === 404) return fail(PROBLEMS.invalidQr);
      if (res.status === 409) return fail(PROBLEMS.busy);
      if (!res.ok) return fail(PROBLEMS.failed);
      const pair = await res.json() as { pairId: string; expiresAt: string };
      pairId.value = pair.pairId;
      expiresAt.value = Date.parse(pair.expiresAt);
      phase.value = "waiting";
      source = new EventSource(`/api/auth/scan-pair/${pair.pairId}/events`);
      source.addEventListener("open", () => reconnecting.value = false);
      // EventSource retries by itself; on reconnect the server re-sends the pair's state.
      source.addEventListener(
        "error",
        () => reconnecting.value = phase.value === "waiting",
      );
      source.addEventListener("matched", () => {
        source?.close();
        reconnecting.value = false;
        login(pair.pairId);
      });
      source.addEventListener("expired", () => fail(PROBLEMS.expired));
      source.addEventListener("cancelled", () => fail(PROBLEMS.cancelled));
    })();

    return () => {
      gone = true;
      clearInterval(tick);
      source?.close();
    };
  }, [attempt.value]);

  const cancel = async () => {
    if (pairId.value) {
      await fetch(`/api/auth/scan-pair/${pairId.value}`, { method: "DELETE" })
        .catch(() => null);
    }
    problem.value = PROBLEMS.cancelled;
    phase.value = "problem";
  };

  const secondsLeft = Math.max(
    0,
    Math.ceil((expiresAt.value - now.value) / 1000),
  );
  return (
    <section class="scan" aria-labelledby="scan-title">
      <p class="eyebrow">Charger {chargeBoxId}</p>
      <h1 id="scan-title">{chargerName}</h1>
      <div class="scan-panel" aria-live="polite">
        {phase.value === "arming" && <p class="lead">Getting the charger ready…</p>}
        {phase.value === "waiting" && (
          <>
            <div class="tap-icon" aria-hidden="true">
              <CardIcon />
            </div>
            <p class="lead">Tap your charging card on the charger's reader</p>
            <p class="muted">
              The charger won't start: your card only logs you in on this phone.
            </p>
            <p class="countdown">
              <span class="countdown-figure">
                {formatCountdown(secondsLeft)}
              </span>{" "}
              left
            </p>
            <progress
              max={100}
              value={Math.min(100, secondsLeft / ttlSeconds * 100)}
              aria-label="Time left"
            />
            {reconnecting.value && (
              <p class="notice" role="status">
                Connection lost — reconnecting…
              </p>
            )}
            <button type="button" class="button secondary" onClick={cancel}>
              Cancel
            </button>
          </>
        )}
        {phase.value === "matched" && <p class="lead">Card recognised — logging you in…</p>}
        {phase.value === "problem" && problem.value && (
          <>
            <h2 class="problem-title">{problem.value.title}</h2>
            <p>{problem.value.detail}</p>
            {problem.value.retry && (
              <button
                type="button"
                class="button"
                onClick={() => attempt.value++}
              >
                Try again
              </button>
            )}
          </>
        )}
      </div>
    </section>
  );
}

function formatCountdown(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** A contactless card, drawn inline (phones at a charger may lack emoji fonts). */
function CardIcon() {
  return (
    <svg
      viewBox="0 0 48 48"
      width="44"
      height="44"
      fill="none"
      stroke="currentColor"
      stroke-width="2.5"
    >
      <rect x="5" y="12" width="30" height="22" rx="3" />
      <path d="M5 19h30M10 28h8" />
      <path
        d="M39 17c2.5 3 2.5 9 0 12M43 14c4 4.5 4 13.5 0 18"
        stroke-linecap="round"
      />
    </svg>
  );
}
