/** One statement on PostgreSQL's admin database (create/drop throwaway databases). */
import pg from "pg";

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
