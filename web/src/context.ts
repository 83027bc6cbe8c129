import { createContext, useContext } from 'react';
import type { Api } from './api/client';
import type { Me } from './api/contract';
import type { Auth } from './auth';

export interface ConsoleContext {
  api: Api;
  auth: Auth;
  me: Me;
  /** The provider's IANA zone: every time on screen is shown in it, with the zone named. */
  timeZone: string;
  providerName: string;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (!value) throw new Error('useConsole outside the signed-in console');
  return value;
}
