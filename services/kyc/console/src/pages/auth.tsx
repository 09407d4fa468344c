import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError, type User } from '../api';
import { ErrorMessage, Field } from '../forms';
import type { ConsoleState } from '../main';

/** Sign in, and sign up (which signs in right after: the seed's signup sets no cookie). */
export function AuthPage({ mode, state }: { mode: 'login' | 'signup'; state: ConsoleState }) {
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [terms, setTerms] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = mode === 'login' ? 'Sign in · KYC console' : 'Create an account · KYC console';
    setError(null);
    setFields({});
  }, [mode]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (mode === 'signup' && !fullName.trim()) problems.fullName = 'Enter your name.';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      problems.email = 'Enter an email address like name@company.com.';
    if (mode === 'signup' && password.length < 8) problems.password = 'Use at least 8 characters.';
    if (mode === 'login' && !password) problems.password = 'Enter your password.';
    if (mode === 'signup' && !terms) problems.terms = 'Accept the terms to create an account.';
    setFields(problems);
    if (Object.keys(problems).length) {
      setError('Some fields need attention.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (mode === 'signup') {
        await api('POST', '/api/auth/signup', {
          fullName: fullName.trim(),
          email,
          password,
          acceptedTerms: true,
        });
      }
      const { user } = await api<{ user: User }>('POST', '/api/auth/login', {
        email,
        password,
        rememberDevice: remember,
      });
      await state.signedIn(user);
    } catch (caught) {
      const apiError = caught as ApiError;
      setError(apiError);
      if (apiError.code === 'EMAIL_ALREADY_REGISTERED') setFields({ email: 'Already registered.' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="auth-card">
      <p class="brand">
        Trustplane <span>KYC</span>
      </p>
      <h1 ref={heading}>{mode === 'login' ? 'Sign in to the console' : 'Create your operator account'}</h1>
      <form onSubmit={submit} noValidate>
        <ErrorMessage error={error} />
        {mode === 'signup' ? (
          <Field
            label="Full name"
            name="fullName"
            value={fullName}
            onInput={setFullName}
            error={fields.fullName}
            required
            autoComplete="name"
          />
        ) : null}
        <Field
          label="Email"
          name="email"
          type="email"
          value={email}
          onInput={setEmail}
          error={fields.email}
          required
          autoComplete="email"
        />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
          error={fields.password}
          hint={mode === 'signup' ? 'At least 8 characters.' : undefined}
          required
          autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
        />
        {mode === 'login' ? (
          <div class="check">
            <input
              id="remember"
              type="checkbox"
              checked={remember}
              onChange={(e) => setRemember((e.target as HTMLInputElement).checked)}
            />
            <label for="remember">Keep me signed in on this device for 30 days</label>
          </div>
        ) : (
          <div class="check">
            <input
              id="terms"
              type="checkbox"
              checked={terms}
              aria-invalid={fields.terms ? true : undefined}
              aria-describedby={fields.terms ? 'terms-error' : undefined}
              onChange={(e) => setTerms((e.target as HTMLInputElement).checked)}
            />
            <label for="terms">I accept the terms of service</label>
            {fields.terms ? (
              <p class="field-error" id="terms-error">
                {fields.terms}
              </p>
            ) : null}
          </div>
        )}
        <button class="button primary wide" type="submit" disabled={busy}>
          {busy ? 'Please wait…' : mode === 'login' ? 'Sign in' : 'Create account'}
        </button>
      </form>
      <p class="switch">
        {mode === 'login' ? (
          <>
            New here? <a href="/signup">Create an account</a>
          </>
        ) : (
          <>
            Already have an account? <a href="/login">Sign in</a>
          </>
        )}
      </p>
    </div>
  );
}
