import type { ResumedSession } from "./api/client.js";

/**
 * The standalone page's session across F5: the page session the API issued (never the launch code or the
 * Zydon admin session), in sessionStorage — this tab only, gone when the tab closes — and only while it is
 * valid. The App Center host hands a fresh session on every load, so the remote never stores anything.
 */
const KEY = "zb-page-session";

type Storage = Pick<globalThis.Storage, "getItem" | "setItem" | "removeItem">;

function storage(): Storage | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    // Storage disabled (privacy settings): F5 asks to reopen from the App Center, as before.
    return null;
  }
}

export function saveStandaloneSession(s: ResumedSession, store: Storage | null = storage()): void {
  try {
    store?.setItem(KEY, JSON.stringify(s));
  } catch {
    // Quota or disabled storage: nothing to keep.
  }
}

/** The kept session, if one is there and still valid at `now`; an expired or unreadable one is removed. */
export function loadStandaloneSession(
  now: number = Date.now(),
  store: Storage | null = storage(),
): ResumedSession | null {
  const raw = store?.getItem(KEY);
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<ResumedSession>;
    if (
      typeof v.pageToken === "string" &&
      typeof v.expiresAt === "string" &&
      typeof v.tenantId === "string" &&
      Date.parse(v.expiresAt) > now
    )
      return { pageToken: v.pageToken, expiresAt: v.expiresAt, tenantId: v.tenantId };
  } catch {
    // fall through
  }
  store?.removeItem(KEY);
  return null;
}

export function clearStandaloneSession(store: Storage | null = storage()): void {
  store?.removeItem(KEY);
}
