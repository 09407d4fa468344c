/**
 * The stylesheet and scripts of the HTML pages, served from account's own origin so the pages'
 * Content-Security-Policy allows no inline code (`script-src 'self'; style-src 'self'`). The
 * scripts call the seed's JSON API, echoing the `csrf_token` cookie in the CSRF header when the
 * browser holds one (the double-submit gate), and show the API's message on failure.
 */

export const PAGE_CSS = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222;line-height:1.4}
label{display:block;margin-top:.75rem}
input,button{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}
input[type=checkbox]{width:auto;margin-right:.5rem}
label.check{display:flex;align-items:center}
button{margin-top:1rem;cursor:pointer}
.error{color:#b00020}.ok{color:#1b5e20}small{color:#555}
[hidden]{display:none}
`;

/** `postJson(form, path, body, bearer?)`: the API's `data`, or an Error carrying its `message`. */
const POST_JSON = `function csrfCookie() {
  var found = document.cookie.split('; ').find(function (entry) { return entry.indexOf('csrf_token=') === 0; });
  return found ? decodeURIComponent(found.slice('csrf_token='.length)) : '';
}
async function postJson(form, path, body, bearer) {
  var headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (bearer) headers.authorization = 'Bearer ' + bearer;
  else if (csrfCookie()) headers[form.dataset.csrfHeader] = csrfCookie();
  var response = await fetch(path, { method: 'POST', headers: headers, body: JSON.stringify(body), credentials: 'same-origin' });
  var json = null;
  try { json = await response.json(); } catch (ignored) { json = null; }
  if (!response.ok || !json || json.success === false) {
    throw new Error((json && json.message) || 'The request failed (HTTP ' + response.status + '); please try again.');
  }
  return json.data;
}
function say(status, kind, text) {
  status.className = kind;
  status.textContent = text;
}
`;

/** The reset page: posts the token and the new password to `POST /api/v1/auth/password-reset/confirm`. */
export const RESET_PASSWORD_JS = `'use strict';
(function () {
${POST_JSON}
  var form = document.getElementById('reset-password');
  var status = document.getElementById('status');
  if (!form || !status) return;
  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    var button = form.querySelector('button');
    button.disabled = true;
    say(status, '', 'Saving…');
    try {
      await postJson(form, '/api/v1/auth/password-reset/confirm', {
        token: form.elements.token.value,
        new_password: form.elements.new_password.value,
      });
      form.hidden = true;
      say(status, 'ok', 'Your password has been changed. Every session was signed out; sign in with the new password.');
    } catch (error) {
      say(status, 'error', error.message);
      button.disabled = false;
    }
  });
})();
`;

/**
 * The invitation page: signs in (`POST /api/v1/auth/login`) or creates the account
 * (`POST /api/v1/auth/register`) with the invited address, then accepts with the access token
 * (`POST /api/v1/invitations/accept`).
 */
export const ACCEPT_INVITATION_JS = `'use strict';
(function () {
${POST_JSON}
  var form = document.getElementById('accept-invitation');
  var status = document.getElementById('status');
  if (!form || !status) return;
  var create = form.elements.create;
  var newAccount = document.getElementById('new-account');
  function sync() {
    newAccount.hidden = !create.checked;
    form.elements.display_name.required = create.checked;
    form.elements.password.autocomplete = create.checked ? 'new-password' : 'current-password';
  }
  create.addEventListener('change', sync);
  sync();
  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    var button = form.querySelector('button');
    button.disabled = true;
    var email = form.elements.email.value;
    var password = form.elements.password.value;
    try {
      say(status, '', create.checked ? 'Creating your account…' : 'Signing in…');
      var session = create.checked
        ? await postJson(form, '/api/v1/auth/register', { email: email, password: password, display_name: form.elements.display_name.value })
        : await postJson(form, '/api/v1/auth/login', { email: email, password: password });
      say(status, '', 'Joining…');
      await postJson(form, '/api/v1/invitations/accept', { token: form.elements.token.value }, session.access_token);
      form.hidden = true;
      say(status, 'ok', 'You are now a member of ' + form.dataset.organization + '. Your next sign-in (or token refresh) includes it.');
    } catch (error) {
      say(status, 'error', error.message);
      button.disabled = false;
    }
  });
})();
`;
