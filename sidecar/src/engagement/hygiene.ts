import { skip, type GateCheck } from '../flows/gate';

// Send-time checks of this capability, appended after the core checks where deps.ts builds the
// gate. Each objection is a skip with a reason, which the sender writes on the contact's timeline.

/** The kinds a contact can turn off in the preference centre. */
export const KINDS = ['offers', 'reminders', 'news'] as const;
export type Kind = (typeof KINDS)[number];

const KIND_BY_FLOW: Record<string, Kind> = {
  welcome: 'news', post_purchase: 'news', review_request: 'news', anniversary: 'news',
  abandoned_cart: 'reminders', abandoned_checkout: 'reminders', browse_abandonment: 'reminders', search_abandonment: 'reminders',
  win_back: 'offers', vip: 'offers', birthday: 'offers', first_customer: 'offers',
};

/**
 * A flow's kind, for the preference centre. A definition's own `kind` wins; the table covers flows
 * until every definition carries one. Unknown flows have no kind and are never filtered by it.
 */
export function kindOf(flow: string | { id: string; kind?: unknown } | null): Kind | null {
  if (!flow) return null;
  if (typeof flow !== 'string' && KINDS.includes(flow.kind as Kind)) return flow.kind as Kind;
  return KIND_BY_FLOW[typeof flow === 'string' ? flow : flow.id] ?? null;
}

/** Cart and checkout reminders are marketing or service email, as the shop decides (RETAIN_CART_REMINDERS_AS). */
export function cartReminderPurpose(config: { cartRemindersAs: 'marketing' | 'service' }): 'marketing' | 'service' {
  return config.cartRemindersAs;
}

// A pragmatic syntax check (RFC 5321 lengths, one @, a dotted domain, no spaces or controls); it
// keeps typos like "anna@gmail" or "a b@x.com" away from Mailgun, where they would count as bounces.
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
export function isValidAddress(email: string): boolean {
  if (email.length > 254) return false;
  const at = email.lastIndexOf('@');
  if (at < 1 || at !== email.indexOf('@')) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).replace(/\.$/, '');
  if (local.length > 64 || !LOCAL.test(local)) return false;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l) || /^xn--/.test(l))) return false;
  return /^[A-Za-z]{2,63}$|^xn--[A-Za-z0-9-]+$/.test(labels.at(-1)!);
}

/** Mailboxes that belong to a function, not a person: mail to them draws complaints and traps. */
export const ROLE_LOCAL_PARTS = new Set([
  'abuse', 'admin', 'administrator', 'billing', 'contact', 'customerservice', 'do-not-reply', 'donotreply', 'enquiries',
  'hello', 'help', 'hostmaster', 'info', 'mail', 'mailer-daemon', 'marketing', 'no-reply', 'noc', 'noreply', 'office',
  'postmaster', 'privacy', 'root', 'sales', 'security', 'support', 'sysadmin', 'team', 'webmaster',
]);
export function isRoleAddress(email: string): boolean {
  const local = email.slice(0, email.indexOf('@')).toLowerCase().replace(/\+.*$/, '');
  return ROLE_LOCAL_PARTS.has(local);
}


export const parseKinds = (v: unknown): Kind[] => (typeof v === 'string' && v ? v.split(',').filter((k): k is Kind => KINDS.includes(k as Kind)) : []);

/**
 * The engagement checks, in order: an address Mailgun would bounce, a role address (marketing
 * only, when RETAIN_SKIP_ROLE_ADDRESSES), unconfirmed double opt-in, a pause, a kind turned off.
 */
export function engagementChecks(d: { prefix: string; skipRoleAddresses: boolean }): GateCheck[] {
  return [
    async ({ contact }) => (isValidAddress(contact!.email) ? null : skip('invalid_address')),
    async ({ flow, contact }) => (d.skipRoleAddresses && flow!.purpose === 'marketing' && isRoleAddress(contact!.email) ? skip('role_address') : null),
    async ({ flow, contact }) => (flow!.purpose === 'marketing' && (contact!.consentState as string) === 'pending' ? skip('opt_in_unconfirmed') : null),
    // The contact row the sender read for this job carries the preferences: no second read.
    async ({ flow, contact, now }) => {
      if (flow!.purpose === 'marketing' && contact!.pausedUntil && contact!.pausedUntil > now) return skip('paused');
      const kind = kindOf(flow as { id: string; kind?: unknown });
      return kind && parseKinds(contact!.kindsOff).includes(kind) ? skip(`kind_off_${kind}`) : null;
    },
  ];
}
