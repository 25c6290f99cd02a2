import { useState, type SyntheticEvent } from 'react';
import { api, messageOf } from '../api/client.js';
import { Field } from '../components/ui.js';

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api('POST', '/api/auth/login', { password });
      onLoggedIn();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <main className="center-page">
      <form
        className="card login-card"
        onSubmit={(event) => void submit(event)}
        aria-labelledby="login-title"
      >
        <h1 id="login-title" className="login-title">
          <span className="brand-dot" aria-hidden="true" /> restream
        </h1>
        <p className="muted">Log in to manage your stream.</p>
        <Field
          label="Admin password"
          error={error}
          hint="Printed once by the server on its first start, or set with RESTREAM_ADMIN_PASSWORD."
        >
          {(props) => (
            <input
              {...props}
              type="password"
              name="password"
              autoComplete="current-password"
              required
              autoFocus
              value={password}
              onChange={(event) => {
                setPassword(event.target.value);
              }}
            />
          )}
        </Field>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
