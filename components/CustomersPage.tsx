// The admin customers page: customers, their cards, the create/edit and link forms.
import type { FormRefusal } from "../lib/errors.ts";
import type { AppContext } from "../lib/app_deps.ts";
import { csrfToken } from "../lib/http/csrf.ts";
import { type CustomerWithTags, listCustomers } from "../lib/customers.ts";
import { renderPage } from "../lib/http/html.ts";
import { Page } from "./Page.tsx";

export interface CustomersPageProps {
  customers: CustomerWithTags[];
  csrf: string;
  /** Why the last form was refused, shown above the forms. */
  error?: string;
}

/** `/admin/customers`: both its forms post back to routes that render this again on a refusal. */
export function CustomersPage({ customers, csrf, error }: CustomersPageProps) {
  return (
    <Page title="Customers · ExpresSync" adminNav="customers" csrf={csrf} wide>
      <h1>Customers</h1>
      {error && <p class="alert" role="alert">{error}</p>}
      <div class="two-col">
        <form method="post" action="/admin/customers" class="panel">
          <h2>New customer</h2>
          <input type="hidden" name="_csrf" value={csrf} />
          <label for="new-name">Name</label>
          <input id="new-name" name="name" required maxLength={200} />
          <label for="new-email">Email</label>
          <input id="new-email" name="email" type="email" maxLength={320} />
          <label for="new-sub">Lago subscription ID</label>
          <input
            id="new-sub"
            name="lagoSubscriptionId"
            maxLength={255}
            placeholder="external_subscription_id"
          />
          <button type="submit" class="button">Create customer</button>
        </form>
        <form method="post" action="/admin/customers/tags" class="panel">
          <h2>Link a card</h2>
          <input type="hidden" name="_csrf" value={csrf} />
          <label for="tag-id">Card ID (idTag)</label>
          <input id="tag-id" name="idTag" required maxLength={255} />
          <label for="tag-customer">Customer</label>
          <select id="tag-customer" name="customerId" required>
            {customers.map((cu) => <option key={cu.id} value={cu.id}>{cu.name}</option>)}
          </select>
          <button
            type="submit"
            class="button"
            disabled={customers.length === 0}
          >
            Link card
          </button>
        </form>
      </div>
      {customers.length === 0 ? <p class="empty">No customers yet.</p> : (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Cards</th>
              <th scope="col">
                <span class="visually-hidden">Edit</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {customers.map((cu) => (
              <tr key={cu.id}>
                <td>
                  <strong>{cu.name}</strong>
                  <div class="muted small">
                    {cu.email ?? "no email"} · <span class="mono">{cu.id}</span>
                  </div>
                  <div class="small">
                    {cu.lagoSubscriptionId
                      ? (
                        <>
                          Lago: <span class="mono">{cu.lagoSubscriptionId}</span>
                        </>
                      )
                      : (
                        <span class="badge badge-warn">
                          No Lago subscription: not billed
                        </span>
                      )}
                  </div>
                </td>
                <td>
                  {cu.tags.length === 0
                    ? <span class="muted">none</span>
                    : cu.tags.map((tag) => (
                      <form
                        method="post"
                        action="/admin/customers/tags"
                        class="tag-chip"
                        key={tag}
                      >
                        <input type="hidden" name="_csrf" value={csrf} />
                        <input type="hidden" name="idTag" value={tag} />
                        <input type="hidden" name="customerId" value="" />
                        <span class="mono">{tag}</span>
                        <button
                          type="submit"
                          class="link danger"
                          aria-label={`Unlink card ${tag}`}
                        >
                          ×
                        </button>
                      </form>
                    ))}
                </td>
                <td>
                  <details>
                    <summary>Edit</summary>
                    <form
                      method="post"
                      action="/admin/customers"
                      class="stack"
                    >
                      <input type="hidden" name="_csrf" value={csrf} />
                      <input type="hidden" name="id" value={cu.id} />
                      <label for={`name-${cu.id}`}>Name</label>
                      <input
                        id={`name-${cu.id}`}
                        name="name"
                        value={cu.name}
                        required
                        maxLength={200}
                      />
                      <label for={`email-${cu.id}`}>Email</label>
                      <input
                        id={`email-${cu.id}`}
                        name="email"
                        type="email"
                        value={cu.email ?? ""}
                      />
                      <label for={`sub-${cu.id}`}>Lago subscription ID</label>
                      <input
                        id={`sub-${cu.id}`}
                        name="lagoSubscriptionId"
                        value={cu.lagoSubscriptionId ?? ""}
                        maxLength={255}
                      />
                      <button type="submit" class="button secondary small">
                        Save
                      </button>
                    </form>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

/** Loads the customers and renders the page: 200, or the refusal's status and message. */
export async function customersPageResponse(
  c: AppContext,
  refusal?: FormRefusal,
): Promise<Response> {
  const customers = await listCustomers(c.get("deps"));
  return renderPage(
    c,
    <CustomersPage customers={customers} csrf={csrfToken(c)} error={refusal?.message} />,
    refusal?.status ?? 200,
  );
}
