/** Prices as Toss shows them: `1,100원`. */
export function formatKrw(amount: number): string {
  return `${Math.trunc(amount).toLocaleString('en-US')}원`;
}
