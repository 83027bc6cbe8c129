import { solveChallenge } from 'altcha-lib/v1';

/**
 * Solves the intake's ALTCHA proof of work off the main thread, while the person types. A module
 * worker loaded from our own origin, so it obeys `worker-src 'self'` (no blob: URL).
 */
interface SolveMessage {
  algorithm: string;
  challenge: string;
  salt: string;
  maxnumber: number;
}

self.onmessage = async (event: MessageEvent<SolveMessage>) => {
  const { algorithm, challenge, salt, maxnumber } = event.data;
  try {
    const solution = await solveChallenge(challenge, salt, algorithm, maxnumber).promise;
    self.postMessage(solution ? { number: solution.number, took: solution.took } : null);
  } catch {
    self.postMessage(null);
  }
};
