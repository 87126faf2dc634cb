// Minimal HTML pages for people who follow a link from an email.

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function page(title: string, bodyHtml: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;background:#f4f1ec;color:#2b2b2b;margin:0;padding:40px 16px}
main{max-width:520px;margin:0 auto;background:#fff;border-radius:8px;padding:32px}h1{font-size:22px;margin-top:0}
button{background:#2f5d50;color:#fff;border:0;border-radius:6px;padding:12px 24px;font-size:16px;cursor:pointer}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:6px 8px;border-bottom:1px solid #eee;font-size:14px}</style></head>
<body><main>${bodyHtml}</main></body></html>`;
}
