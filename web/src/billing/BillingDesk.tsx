import { useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { BillingRecord, BillingStatus } from '../api/contract';
import { useAnnouncer } from '../components/Announcer';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { Status, statusWord } from '../components/Status';
import { useConsole } from '../context';
import { formatDateTime } from '../lib/time';
import { capitalise, LEVEL_OF_SERVICE, VEHICLE_KIND } from '../lib/words';
import { ExportForm } from './ExportForm';
import { formatCents } from './money';
import { BILLING_STATES, MAX_PAGES, type StateList, totalOf, useBillingStates } from './queries';
import { RecordActions } from './RecordActions';

const isState = (value: string | null): value is BillingStatus => BILLING_STATES.includes(value as BillingStatus);
const capitalised = (status: BillingStatus) => capitalise(statusWord(status));

/**
 * The Billing desk (/billing): the records of one state at a time (the state is in the address,
 * so it sticks across reloads and can be bookmarked), each state's count and total, each record's
 * facts and the moves its state allows, and the CSV export.
 */
export default function BillingDesk() {
  const [params] = useSearchParams();
  const wanted = params.get('state');
  const current: BillingStatus = isState(wanted) ? wanted : 'pending';
  const states = useBillingStates();
  const { announce, region } = useAnnouncer();
  const listHeading = useRef<HTMLHeadingElement>(null);
  const index = BILLING_STATES.indexOf(current);
  const shown = states[index];
  const onMoved = (sentence: string) => {
    announce(sentence);
    // The record leaves this list; keep the keyboard where the list is, not on the page's top.
    listHeading.current?.focus();
  };
  return (
    <div className="page billing">
      {region}
      <h1>Billing desk</h1>
      <nav aria-label="Billing records by state">
        <ul className="state-tabs">
          {BILLING_STATES.map((status, position) => {
            const list = states[position]?.data;
            return (
              <li key={status}>
                <Link to={`/billing?state=${status}`} aria-current={status === current ? 'page' : undefined}>
                  <span>{capitalised(status)}</span>{' '}
                  <span className="tab-count">{list ? `${list.records.length}${list.more ? '+' : ''}` : '…'}</span>
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <div className="billing-grid">
        <section className="pane" aria-labelledby="billing-list-title">
          <h2 id="billing-list-title" ref={listHeading} tabIndex={-1}>{capitalised(current)}</h2>
          {!shown || shown.isPending ? (
            <LoadingState label={`Loading the ${statusWord(current)} records`} />
          ) : shown.isError ? (
            <ErrorState error={shown.error} onRetry={() => void shown.refetch()} />
          ) : (
            <StateRecords status={current} list={shown.data} onMoved={onMoved} />
          )}
        </section>
        <section className="pane" aria-label="Export">
          <ExportForm />
        </section>
      </div>
    </div>
  );
}

function StateRecords({ status, list, onMoved }: { status: BillingStatus; list: StateList; onMoved: (sentence: string) => void }) {
  const { records, more } = list;
  if (records.length === 0) return <EmptyState>No {statusWord(status)} records.</EmptyState>;
  const { cents, unpriced } = totalOf(records);
  const count = `${records.length} ${records.length === 1 ? 'record' : 'records'}`;
  return (
    <>
      <p className="billing-total">
        {more
          ? <>Total <strong className="money">{formatCents(cents)}</strong> of the {records.length} shown (the newest {MAX_PAGES * 100}; export the CSV for all).</>
          : <>{count}, total <strong className="money">{formatCents(cents)}</strong>.</>}
        {unpriced > 0 && <> {unpriced} not priced yet.</>}
      </p>
      <ul className="billing-records">
        {records.map((record) => <RecordItem key={record.id} record={record} onMoved={onMoved} />)}
      </ul>
    </>
  );
}

function RecordItem({ record, onMoved }: { record: BillingRecord; onMoved: (sentence: string) => void }) {
  const { timeZone } = useConsole();
  const titleId = `billing-${record.id}`;
  return (
    <li className="billing-record" aria-labelledby={titleId}>
      <div className="billing-record-head">
        <h3 id={titleId}><span className="ref">{record.referenceCode}</span></h3>
        <Status status={record.status} />
        <span className="money amount">{record.amountCents === null ? 'not priced' : formatCents(record.amountCents)}</span>
      </div>
      <dl className="facts">
        <div><dt>Service</dt><dd>{record.serviceAt ? formatDateTime(record.serviceAt, timeZone) : 'no pickup recorded'}</dd></div>
        <div><dt>Outcome</dt><dd>{record.legOutcome === 'no_show' ? 'No-show' : 'Completed'}</dd></div>
        <div><dt>Level of service</dt><dd>{record.levelOfService ? LEVEL_OF_SERVICE[record.levelOfService] : 'not recorded'}</dd></div>
        <div><dt>Vehicle</dt><dd>{record.vehicleKind ? capitalise(VEHICLE_KIND[record.vehicleKind]) : 'not recorded'}</dd></div>
        <div><dt>Mileage</dt><dd>{record.mileage === null ? 'none' : `${record.mileage} mi`}</dd></div>
        <div><dt>Invoice number</dt><dd>{record.invoiceNumber ?? 'none yet'}</dd></div>
        {record.heldFrom && <div><dt>Held from</dt><dd>{statusWord(record.heldFrom)}</dd></div>}
        {record.note && <div><dt>Note</dt><dd>{record.note}</dd></div>}
      </dl>
      <RecordActions record={record} onMoved={onMoved} />
    </li>
  );
}
