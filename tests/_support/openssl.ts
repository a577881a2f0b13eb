/** What the runbook's `printf %s "$DATA" | openssl dgst -sha256 -hmac "$KEY"` prints: the hex MAC. */
export async function opensslHmacHex(key: string, data: string): Promise<string> {
  const child = new Deno.Command("openssl", {
    args: ["dgst", "-sha256", "-hmac", key],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(data));
  await writer.close();
  return new TextDecoder().decode((await child.output()).stdout).trim().split(" ").at(-1)!;
}
