/** This host no longer owns the account under `epoch`: stop its socket and write nothing more. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  readonly code = 'lease_lost';

  constructor(
    readonly accountId: string,
    readonly epoch: number,
    readonly reason: string,
  ) {
    super(`lease of account ${accountId} (epoch ${epoch}) lost: ${reason}`);
  }
}

export function isLeaseLost(err: unknown): err is LeaseLostError {
  return err instanceof LeaseLostError;
}
