// The webhook URL and subscribed events of a partner, in its create and settings forms.
import { PARTNER_EVENT_TYPES } from "../lib/partner_deliveries/events.ts";

export interface PartnerWebhookFieldsProps {
  idPrefix: string;
  url?: string | null;
  events?: readonly string[];
}

export function PartnerWebhookFields({ idPrefix, url, events = [] }: PartnerWebhookFieldsProps) {
  return (
    <>
      <label for={`${idPrefix}-url`}>Webhook URL</label>
      <input
        id={`${idPrefix}-url`}
        name="url"
        type="url"
        value={url ?? ""}
        maxLength={2048}
        placeholder="https://partner.example/webhooks/expressync"
      />
      <fieldset>
        <legend>Events sent to it</legend>
        {PARTNER_EVENT_TYPES.map((type) => (
          <label key={type} class="choice">
            <input type="checkbox" name="events" value={type} checked={events.includes(type)} />
            {" "}
            <span class="mono">{type}</span>
          </label>
        ))}
      </fieldset>
    </>
  );
}
