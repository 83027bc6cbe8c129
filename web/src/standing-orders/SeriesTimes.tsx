import { Fragment } from 'react';
import type { StandingOrder } from '../api/contract';
import { useConsole } from '../context';
import { seriesTimesParts } from '../lib/words';

/** "Mon, Wed, Fri · pickup 6:30 AM ET · appointment 7:00 AM", each part kept on one line. */
export function SeriesTimes({ series }: { series: Pick<StandingOrder, 'daysOfWeek' | 'pickupTime' | 'appointmentTime'> }) {
  const { timeZone } = useConsole();
  const parts = seriesTimesParts(series, timeZone);
  return (
    <>
      {parts.map((part, index) => (
        // The separator stays outside the unbreakable part: a narrow screen breaks the line there.
        <Fragment key={part}>{index > 0 && ' · '}<span className="nowrap">{part}</span></Fragment>
      ))}
    </>
  );
}
