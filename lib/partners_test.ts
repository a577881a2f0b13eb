import assert from "node:assert/strict";
import { webhookFormFields } from "./partners.ts";

Deno.test("webhookFormFields - empty URL is none; ticked events as a list; none ticked: left out", () => {
  assert.deepEqual(webhookFormFields({ url: " ", events: ["scan.login", "session.ended"] }), {
    url: null,
    events: ["scan.login", "session.ended"],
  });
  assert.deepEqual(webhookFormFields({ url: "https://a.example/", events: "scan.login" }), {
    url: "https://a.example/",
    events: ["scan.login"],
  });
  assert.deepEqual(webhookFormFields({}), { url: undefined, events: undefined });
});
