/** Polls until the check passes or the time runs out; returns the last value (the caller asserts on it). */
export async function eventually<T>(
  check: () => Promise<T> | T,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
  pollMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await check();
  while (!accept(value) && Date.now() < deadline) {
    await Bun.sleep(pollMs);
    value = await check();
  }
  return value;
}
