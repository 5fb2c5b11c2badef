/** The portal: one page, routed by its URL (every view can be bookmarked and shared). */
import './style.css';
import { service, session } from './api.js';
import { errorBox, h } from './dom.js';
import { NAVIGATED, navigate } from './nav.js';

type Page = (main: HTMLElement, params: URLSearchParams, rest: string[]) => Promise<void>;

const PAGES: Record<string, () => Promise<{ render: Page }>> = {
  '': () => import('./pages/landing.js'),
  search: () => import('./pages/search.js'),
  obs: () => import('./pages/obs.js'),
  adql: () => import('./pages/adql.js'),
  alerts: () => import('./pages/alerts.js'),
  login: () => import('./pages/login.js'),
};

/** The path under the service (the <base> the server sets), split in parts. */
function route(): string[] {
  const base = new URL(document.baseURI).pathname;
  const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : '';
  return path.split('/').filter(Boolean).map(decodeURIComponent);
}

let rendering = 0;
async function render(): Promise<void> {
  const ticket = ++rendering;
  const [name = '', ...rest] = route();
  const main = document.getElementById('main')!;
  const load = PAGES[name];
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.topbar nav a')) {
    const target = new URL(a.href).pathname.slice(new URL(document.baseURI).pathname.length);
    if (target.split('/')[0] === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.getElementById('nav-login')!.textContent = session.token() ? 'Signed in' : 'Sign in';
  const fresh = h('div', { class: 'page' });
  try {
    if (!load) throw new Error(`There is no page at ${location.pathname}.`);
    const page = await load();
    if (ticket !== rendering) return;
    main.replaceChildren(fresh);
    await page.render(fresh, new URLSearchParams(location.search), rest);
  } catch (error) {
    if (ticket !== rendering) return;
    main.replaceChildren(fresh);
    fresh.append(errorBox(error instanceof Error ? error.message : String(error)));
  }
}

window.addEventListener(NAVIGATED, (event) => {
  const { replace } = (event as CustomEvent<{ replace: boolean }>).detail;
  void render().then(() => {
    if (!replace) window.scrollTo(0, 0);
  });
});

document.addEventListener('click', (event) => {
  const a = (event.target as Element).closest?.('a');
  if (!a || a.target || a.hasAttribute('download') || event.defaultPrevented) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  const url = new URL(a.href, document.baseURI);
  const base = new URL(document.baseURI);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return;
  const [first = ''] = url.pathname.slice(base.pathname.length).split('/');
  if (!(first in PAGES)) return;
  event.preventDefault();
  navigate(url.href);
});
window.addEventListener('popstate', () => void render());

async function frame(): Promise<void> {
  try {
    const s = await service();
    document.getElementById('brand-name')!.textContent = s.shortName;
    const footer = document.getElementById('footer')!;
    footer.replaceChildren(
      h('span', {}, `${s.title} · published by ${s.publisher}`),
      h('span', {}, `${s.software.name} ${s.software.version}`),
    );
  } catch {
    // The page says what failed; the frame keeps its defaults.
  }
}

void frame();
void render();
