import { Router } from 'express';
import type { FeedbackService } from '../engagement/feedback';
import { page } from './pages';

const THANKS: Record<string, string> = {
  shipping: 'Thank you. Shipping costs came up: we read every answer and it helps us set them fairly.',
  price: 'Thank you. Price came up: we read every answer, and we will keep an eye on it.',
  just_looking: 'Thank you. Just looking is fine: the cart is saved for when you are ready.',
};

/** GET /f/:token?answer=…: the "what stopped you?" links in cart emails. One click, one answer. */
export function feedbackRouter(d: { feedback: FeedbackService }): Router {
  const r = Router();
  r.get('/f/:token', async (req, res) => {
    const answer = String(req.query.answer ?? '');
    const result = await d.feedback.record(String(req.params.token), answer);
    res.set('Cache-Control', 'no-store').set('Referrer-Policy', 'no-referrer');
    if (!result.ok) {
      const status = result.code === 'token_expired' ? 410 : 400;
      return void res.status(status).type('html').send(page('Link not valid', '<h1>This link is not valid any more</h1><p>Thank you for trying to tell us.</p>'));
    }
    res.type('html').send(page('Thank you', `<h1>Thank you</h1><p>${THANKS[answer]}</p>`));
  });
  return r;
}
