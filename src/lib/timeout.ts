/**
 * A bound on a provider call the API waits for (a check, a listing): a cloud that never
 * answers must cost the caller one slow row, not a hung request. The call itself is not
 * cancelled (the contract has no signal); its late answer is dropped.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)}s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
