/**
 * No silent waits: a step that must wait for a rate limit longer than about two seconds tells its
 * caller, once, with an estimate, and carries on. The caller decides the wording (services hold
 * none) and where it shows.
 */

/** Waits up to this long go unmentioned; Discord shows "thinking…" by then anyway. */
export const WAIT_NOTICE_AFTER_MS = 2_000;

/** Told once, with the expected wait in ms. */
export type WaitListener = (waitMs: number) => void;

/**
 * Runs `work`, calling `onWait` once if it is going to wait long for a rate limit: at once when
 * `estimateMs()` already says so, or when two seconds have passed and some wait remains.
 */
export async function noticeLongWaits<T>(estimateMs: () => number, onWait: WaitListener | undefined, work: () => Promise<T>): Promise<T> {
  if (!onWait) return work();
  let told = false;
  const tell = (waitMs: number) => {
    if (told) return;
    told = true;
    onWait(waitMs);
  };
  const upFront = estimateMs();
  if (upFront > WAIT_NOTICE_AFTER_MS) tell(upFront);
  const later = setTimeout(() => {
    const remaining = estimateMs();
    if (remaining > 0) tell(remaining);
  }, WAIT_NOTICE_AFTER_MS);
  try {
    return await work();
  } finally {
    clearTimeout(later);
  }
}
