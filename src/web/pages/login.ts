/**
 * `/login`: sign in with an API token (from `hearc token create`); it is kept for this
 * tab only (sessionStorage) and sent as a Bearer token with every request the portal makes.
 */
import { service, serviceUrl, session } from '../api.js';
import { errorBox, h } from '../dom.js';
import { navigate } from '../nav.js';

/** The token's public part (hearc_<id>_<secret>): safe to show. */
const tokenId = (token: string): string => token.split('_')[1] ?? 'token';

/** Asks the service whether it accepts the token: an invalid one is refused (401) everywhere. */
async function check(token: string): Promise<string | undefined> {
  const response = await fetch(serviceUrl('tap/availability'), {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.ok) return undefined;
  const reason = (await response.text()).trim();
  return response.status === 401
    ? `The token was refused: ${reason}`
    : `HTTP ${response.status}: ${reason}`;
}

export async function render(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const s = await service();
  document.title = `Sign in — ${s.shortName}`;
  const current = session.token();
  if (current) {
    main.append(
      h(
        'section',
        { class: 'card narrow' },
        h('h1', {}, 'Signed in'),
        h(
          'p',
          {},
          'This tab uses the API token ',
          h('code', {}, `${tokenId(current)}…`),
          '. Observations and files your groups may read appear in searches, on observation pages and in ADQL results.',
        ),
        h(
          'div',
          { class: 'actions' },
          h('a', { class: 'btn primary', href: 'search' }, 'Search'),
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              onclick: () => {
                session.signOut();
                navigate('login', true);
              },
            },
            'Sign out',
          ),
        ),
      ),
    );
    return;
  }
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'hearc_…',
  });
  const message = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card narrow', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in'),
    h(
      'p',
      {},
      'Proprietary observations are shown to members of their group. Paste the API token your archive operator gave you (',
      h('code', {}, 'hearc token create'),
      ').',
    ),
    h(
      'div',
      { class: 'field', style: 'display:grid;gap:0.3rem;margin-bottom:0.9rem' },
      h('label', { for: 'token' }, 'API token'),
      input,
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'btn primary' }, 'Sign in'),
    ),
    message,
    h(
      'p',
      { class: 'small muted' },
      'The token stays in this browser tab (session storage) and is sent only to this service, as an HTTP Bearer token. Closing the tab signs you out.',
    ),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    message.replaceChildren();
    const refused = await check(token).catch((error: unknown) => String(error));
    if (refused) {
      message.append(errorBox(refused));
      return;
    }
    session.signIn(token);
    navigate(params.get('next') ?? 'search');
  });
  main.append(form);
}
