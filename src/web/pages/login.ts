/**
 * `/login`: sign in through the service's OIDC issuer (when it has one), or with an API
 * token (from `hearc token create`). Either token is kept for this tab only
 * (sessionStorage) and sent as a Bearer token with every request the portal makes.
 */
import { service, serviceUrl, session } from '../api.js';
import { errorBox, h } from '../dom.js';
import { navigate } from '../nav.js';
import { finishSignIn, isCallback, jwtUser, type SignInConfig, startSignIn } from '../oidc.js';

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

/** A path under the service to go to after signing in (nothing outside it). */
function nextOf(params: URLSearchParams): string {
  const next = params.get('next') ?? 'search';
  return /^[a-z]/i.test(next) && !/^[a-z][\w+.-]*:/i.test(next) ? next : 'search';
}

/** Back from the issuer: the token, checked by the service, or why not. */
async function completeSignIn(config: SignInConfig, params: URLSearchParams): Promise<string> {
  // The code is used once: it leaves the URL (and the history) now.
  history.replaceState(null, '', serviceUrl('login'));
  try {
    const { token, next } = await finishSignIn(config, params);
    const refused = await check(token);
    if (refused) return refused;
    session.signIn(token);
    navigate(next, true);
    return '';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function issuerSection(config: SignInConfig, next: string, message: HTMLElement): HTMLElement {
  const host = new URL(config.issuer).host;
  const button = h('button', { type: 'button', class: 'btn primary' }, `Sign in with ${host}`);
  button.addEventListener('click', () => {
    message.replaceChildren();
    button.setAttribute('disabled', '');
    startSignIn(config, next).catch((error: unknown) => {
      button.removeAttribute('disabled');
      message.append(errorBox(error instanceof Error ? error.message : String(error)));
    });
  });
  return h(
    'section',
    { class: 'card narrow', 'aria-labelledby': 'oidc-title' },
    h('h2', { id: 'oidc-title' }, 'Your institute account'),
    h(
      'p',
      {},
      'Sign in at ',
      h('code', {}, config.issuer),
      ', the identity provider this archive trusts; you come back here signed in.',
    ),
    h('div', { class: 'actions' }, button),
    message,
  );
}

export async function render(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const s = await service();
  document.title = `Sign in — ${s.shortName}`;
  const oidcMessage = h('div', { 'aria-live': 'polite' });
  if (s.signIn && isCallback(params)) {
    main.append(h('p', { class: 'muted' }, 'Signing in…'));
    const failure = await completeSignIn(s.signIn, params);
    if (!failure) return;
    main.replaceChildren();
    oidcMessage.append(errorBox(failure));
  }
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
          ...(jwtUser(current) !== undefined
            ? ['This tab is signed in as ', h('strong', {}, jwtUser(current)!)]
            : ['This tab uses the API token ', h('code', {}, `${tokenId(current)}…`)]),
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
    h('h2', { id: 'login-title' }, 'Token from the archive'),
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
    navigate(nextOf(params));
  });
  main.append(
    h('h1', {}, 'Sign in'),
    s.signIn ? issuerSection(s.signIn, nextOf(params), oidcMessage) : '',
    form,
  );
}
