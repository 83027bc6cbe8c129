import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, StartupProblem } from './App';
import { createAuth, startSession } from './auth';
import { ConfigUnavailable, loadConfig } from './lib/config';
import './styles.css';

/** /config.json first, then the session (callback, or a redirect to the issuer), then React. */
async function boot(): Promise<void> {
  const container = document.getElementById('root');
  if (!container) return;
  const root = createRoot(container);
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig();
  } catch (error) {
    const reason = error instanceof ConfigUnavailable ? error.message : 'The settings could not be read.';
    root.render(<StartupProblem title="The console is not set up here yet" reason={reason} />);
    return;
  }
  const auth = createAuth(config);
  let start: Awaited<ReturnType<typeof startSession>>;
  try {
    start = await startSession(auth);
  } catch {
    root.render(
      <StartupProblem
        title="The sign-in service could not be reached"
        reason="Check the connection, then reload the page."
      />,
    );
    return;
  }
  if (start.kind === 'redirecting') return;
  root.render(
    <StrictMode>
      <App auth={auth} start={start} />
    </StrictMode>,
  );
}

void boot();
