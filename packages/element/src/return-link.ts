/**
 * The "Sign in again" link: `loginUrl` with `reason=idle|absolute` (when known and not set already) and
 * `next=` the page's own path and query, so that the login page can lead back here after signing in (the
 * sample app does, through `safeNextPath`), where a kept draft is restored. A login page on another
 * origin (single sign-on) is left as it is: it has its own way back.
 *
 * @param loginUrl - the `login-url` attribute, absolute or relative to the page.
 * @param reason - why the session ended, or `null`.
 * @param here - the page's location (`window.location`).
 */
export function signInAgainHref(loginUrl: string, reason: string | null, here: Pick<Location, 'href' | 'origin' | 'pathname' | 'search'>): string {
  let url: URL;
  try {
    url = new URL(loginUrl, here.href);
  } catch {
    return loginUrl;
  }
  if (url.origin !== here.origin) return loginUrl;
  if (reason && !url.searchParams.has('reason')) url.searchParams.set('reason', reason);
  url.searchParams.set('next', here.pathname + here.search);
  return url.pathname + url.search + url.hash;
}
