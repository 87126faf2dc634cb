import type { Clock } from '../clock';
import { DAY } from '../clock';
import { TransportError } from '../mail/transport';
import { signedHeaders } from '../signing/request-signature';
import type { CouponSpec } from './definitions';

export interface IssuedCoupon {
  code: string;
  type: string;
  amount: string;
  expires_at: string;
}

export type CouponClient = (req: { email: string; spec: CouponSpec; idempotencyKey: string; shopUrl: string }) => Promise<IssuedCoupon>;

/**
 * Coupons are WooCommerce's to write, so the plugin creates them (POST /wp-json/retain/v1/coupons,
 * signed). The job id is the idempotency key: a retried send gets the same coupon, not a second.
 */
export function createCouponClient(d: { secret: string; clock: Clock; timeoutMs?: number; prefix?: string }): CouponClient {
  return async ({ email, spec, idempotencyKey, shopUrl }) => {
    const body = JSON.stringify({
      email,
      type: spec.type,
      amount: spec.amount,
      expires_at: new Date(d.clock.now().getTime() + spec.expiresInDays * DAY).toISOString(),
      free_shipping: spec.freeShipping,
      prefix: d.prefix ?? 'RET-',
      idempotency_key: idempotencyKey,
    });
    let res: Response;
    try {
      res = await fetch(`${shopUrl}/wp-json/retain/v1/coupons`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...signedHeaders(d.secret, body, d.clock.now()) },
        body,
        signal: AbortSignal.timeout(d.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new TransportError('transient', `coupon service unreachable (${(err as Error).name})`);
    }
    if (res.status === 201 || res.status === 200) return (await res.json()) as IssuedCoupon;
    const code = ((await res.json().catch(() => null)) as { error?: { code?: string } } | null)?.error?.code ?? 'unknown';
    // 5xx, 429 and 401 (secrets differ: an admin fixes it) are worth retrying; other 4xx are ours to fix.
    const transient = res.status >= 500 || res.status === 429 || res.status === 401;
    throw new TransportError(transient ? 'transient' : 'permanent', `coupon service answered ${res.status} ${code}`, false, res.status);
  };
}
