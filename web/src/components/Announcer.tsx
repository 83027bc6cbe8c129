import { useCallback, useRef, useState } from 'react';

/**
 * One polite live region per screen: results and new items are read out, never shoved in.
 * Sentences within a second of each other are read together (an action's result and the refresh
 * it causes); the region is cleared first so the same sentence twice is read twice.
 */
export function useAnnouncer(): { announce: (message: string) => void; region: React.ReactNode } {
  const [announcement, setAnnouncement] = useState('');
  const lastAnnounced = useRef({ at: 0, text: '' });
  const announce = useCallback((message: string) => {
    const now = Date.now();
    const text = now - lastAnnounced.current.at < 1000 ? `${lastAnnounced.current.text} ${message}` : message;
    lastAnnounced.current = { at: now, text };
    setAnnouncement('');
    window.setTimeout(() => setAnnouncement(text), 50);
  }, []);
  const region = <p className="visually-hidden" aria-live="polite" aria-atomic="true">{announcement}</p>;
  return { announce, region };
}
