import type { ComponentType } from "preact";

export interface IslandProps<P> {
  /** The name `islands/_client.ts` hydrates it by. */
  name: string;
  component: ComponentType<P>;
  props: P;
}

/**
 * Server-renders an island inside a marker the client entry hydrates. Props
 * travel as JSON, so they must be serializable.
 */
export function Island<P>(
  { name, component: Component, props }: IslandProps<P>,
) {
  return (
    <div data-island={name} data-props={JSON.stringify(props)}>
      {/* @ts-ignore: P is the component's own props */}
      <Component {...props} />
    </div>
  );
}
