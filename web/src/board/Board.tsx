import { useCallback, useEffect, useRef, useState } from 'react';
import { useAnnouncer } from '../components/Announcer';
import { useSearchParams } from 'react-router';
import { addDays, todayInZone } from '../lib/time';
import { useConsole } from '../context';
import { Cancellations } from './Cancellations';
import { DayLegs } from './DayLegs';
import { NewRequests } from './NewRequests';
import { StandingOrders } from './StandingOrders';

/**
 * The Dispatcher's board: new requests and cancellation requests beside a day's legs by driver.
 * Dense on a wide monitor (three panes), stacked on a phone. Everything refreshes on its own
 * without moving focus or scroll; new items are announced in one polite live region.
 */
export default function Board() {
  const { timeZone } = useConsole();
  // The day lives in the URL (/board?date=YYYY-MM-DD): a link or the back button opens that day.
  const [params, setParams] = useSearchParams();
  const requested = params.get('date');
  const date = requested && /^\d{4}-\d{2}-\d{2}$/.test(requested) ? requested : todayInZone(timeZone);
  const setDate = useCallback((next: string | ((current: string) => string)) => {
    setParams((current) => {
      const today = todayInZone(timeZone);
      const from = current.get('date') ?? today;
      const value = typeof next === 'function' ? next(/^\d{4}-\d{2}-\d{2}$/.test(from) ? from : today) : next;
      return { date: value };
    }, { replace: true });
  }, [setParams, timeZone]);
  const { announce, region } = useAnnouncer();
  const [showShortcuts, setShowShortcuts] = useState(false);
  const requestsRef = useRef<HTMLElement>(null);
  const legsRef = useRef<HTMLElement>(null);
  const cancellationsRef = useRef<HTMLElement>(null);
  const standingOrdersRef = useRef<HTMLElement>(null);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      const focusHeading = (section: HTMLElement | null) => section?.querySelector<HTMLElement>('h2')?.focus();
      switch (event.key) {
        case '?':
          setShowShortcuts((shown) => !shown);
          break;
        case 'n':
          focusHeading(requestsRef.current);
          break;
        case 'l':
          focusHeading(legsRef.current);
          break;
        case 'c':
          focusHeading(cancellationsRef.current);
          break;
        case 's':
          focusHeading(standingOrdersRef.current);
          break;
        case '[':
          setDate((current) => addDays(current, -1));
          break;
        case ']':
          setDate((current) => addDays(current, 1));
          break;
        case 't':
          setDate(todayInZone(timeZone));
          break;
        default:
          return;
      }
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [timeZone, setDate]);

  return (
    <div className="board">
      <div className="board-title">
        <h1>Dispatch board</h1>
        <button type="button" className="link-button" aria-expanded={showShortcuts} aria-controls="shortcuts"
          onClick={() => setShowShortcuts((shown) => !shown)}>
          Keyboard shortcuts <kbd>?</kbd>
        </button>
      </div>
      {showShortcuts && <Shortcuts onClose={() => setShowShortcuts(false)} />}
      {region}
      <div className="board-grid">
        <div className="board-side">
          <NewRequests sectionRef={requestsRef} announce={announce} onScheduled={setDate} />
          <Cancellations sectionRef={cancellationsRef} announce={announce} />
          <StandingOrders sectionRef={standingOrdersRef} announce={announce} />
        </div>
        <DayLegs sectionRef={legsRef} date={date} onDateChange={setDate} announce={announce} />
      </div>
    </div>
  );
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export const SHORTCUTS: [string, string][] = [
  ['?', 'Show or hide this list'],
  ['n', 'Go to New requests'],
  ['c', 'Go to Cancellation requests'],
  ['s', 'Go to Standing orders'],
  ['l', 'Go to Legs'],
  ['[ / ]', 'Previous / next day'],
  ['t', 'Today'],
  ['j / k', 'In Legs: next / previous leg'],
  ['a', 'In Legs: choose a driver for the selected leg'],
  ['u', 'In Legs: unassign the selected leg'],
  ['Esc', 'In Legs: clear the selection'],
];

function Shortcuts({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <section id="shortcuts" className="shortcuts" aria-labelledby="shortcuts-title" tabIndex={-1} ref={ref}
      onKeyDown={(event) => { if (event.key === 'Escape') onClose(); }}>
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <dl>
        {SHORTCUTS.map(([key, what]) => (
          <div key={key}>
            <dt><kbd>{key}</kbd></dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={onClose}>Close</button>
    </section>
  );
}
