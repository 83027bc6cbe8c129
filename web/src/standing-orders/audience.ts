import { useConsole } from '../context';
import { isFacilityRole } from '../lib/words';

/**
 * Who the standing-order pages serve: the Dispatcher works them from the board; a facility's own
 * people (FacilityAdmin, FacilityUser) from their list of series, for their facility only. The
 * API decides what each may do; these pages offer only that.
 */
export interface SeriesAudience {
  /** A facility's own people: no facility to choose, no accepting or rejecting. */
  facility: boolean;
  /** Where "back" goes. */
  back: { to: string; label: string };
}

export function useSeriesAudience(): SeriesAudience {
  const { me } = useConsole();
  const facility = isFacilityRole(me.role);
  return facility
    ? { facility, back: { to: '/standing-orders', label: 'Back to standing orders' } }
    : { facility, back: { to: '/board', label: 'Back to the board' } };
}
