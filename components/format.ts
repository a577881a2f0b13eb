/** Display formatting shared by server components and islands (no server imports here). */

export function formatKwh(kwh: number): string {
  return `${
    kwh.toLocaleString("en-GB", {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    })
  } kWh`;
}

export function formatKw(kw: number | null): string {
  return kw === null ? "– kW" : `${kw.toLocaleString("en-GB", { maximumFractionDigits: 1 })} kW`;
}

/** "1 h 05 min", "12 min", "40 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export function formatClock(iso: string): string {
  return new Date(iso).toLocaleTimeString("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString("en-GB", {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** A card number with all but its last four characters hidden. */
export function maskTag(idTag: string): string {
  return idTag.length <= 4 ? "••••" : `•••• ${idTag.slice(-4)}`;
}
