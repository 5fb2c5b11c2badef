/** Going to another URL of the portal without reloading: the router listens for this. */
export const NAVIGATED = 'hearc:navigate';

export function navigate(url: string, replace = false): void {
  const target = new URL(url, document.baseURI);
  if (replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  window.dispatchEvent(new CustomEvent(NAVIGATED, { detail: { replace } }));
}
