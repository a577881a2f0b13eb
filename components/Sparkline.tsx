export interface SparklineProps {
  points: Array<{ t: number; kw: number }>;
  label: string;
  width?: number;
  height?: number;
}

/** A small SVG line of power over the last minutes. */
export function Sparkline(
  { points, label, width = 240, height = 48 }: SparklineProps,
) {
  if (points.length < 2) {
    return (
      <div class="sparkline-empty muted small">
        Power chart appears as readings arrive
      </div>
    );
  }
  const t0 = points[0].t;
  const span = Math.max(1, points[points.length - 1].t - t0);
  const max = Math.max(1, ...points.map((p) => p.kw));
  const xy = points.map((p) =>
    `${((p.t - t0) / span * width).toFixed(1)},${
      (height - 2 - p.kw / max * (height - 4)).toFixed(1)
    }`
  );
  return (
    <svg
      class="sparkline"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      <polyline
        points={xy.join(" ")}
        fill="none"
        stroke="currentColor"
        stroke-width="2"
      />
    </svg>
  );
}
