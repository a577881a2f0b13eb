/** Small pieces the admin queue pages share: a figure in a stat panel, and a retry's outcome. */
import type { ComponentChildren } from "preact";

/** One figure with its heading; `children` go below it (a note, a unit). */
export function Stat(
  props: { title: string; value: ComponentChildren; testid?: string; children?: ComponentChildren },
) {
  return (
    <div class="panel stat">
      <h3>{props.title}</h3>
      <p class="big small-big" data-testid={props.testid}>{props.value}</p>
      {props.children}
    </div>
  );
}

/** "3 messages queued again." after a Retry; nothing when no retry was made. */
export function RetriedNotice(props: { count?: number; one: string; many: string }) {
  if (props.count === undefined) return null;
  return (
    <p class="notice" role="status">
      {props.count} {props.count === 1 ? props.one : props.many} queued again.
    </p>
  );
}
