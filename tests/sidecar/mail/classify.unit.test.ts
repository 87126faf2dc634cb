import { classifyMailgunError } from '../../../sidecar/src/mail/mailgun-transport';

// Shapes as mailgun.js throws them (APIError): network failures come as status 400 with the
// socket error code as the message.
describe('classifyMailgunError', () => {
  it.each([
    [{ status: 429, message: 'Too Many Requests' }, 'transient', false],
    [{ status: 500, message: 'Internal Server Error' }, 'transient', false],
    [{ status: 503, message: 'Service Unavailable' }, 'transient', false],
    [{ status: 400, message: 'ECONNREFUSED', details: 'connect ECONNREFUSED 127.0.0.1:1' }, 'transient', false],
    [{ status: 400, message: 'ECONNABORTED', details: 'timeout of 15000ms exceeded' }, 'transient', true],
    [{ status: 400, message: 'ECONNRESET' }, 'transient', true],
    [{ status: 400, message: 'Bad Request', details: "'to' parameter is not a valid address" }, 'permanent', false],
    [{ status: 401, message: 'Unauthorized', details: 'Forbidden' }, 'permanent', false],
    [{ status: 404, message: 'Not Found', details: 'Domain not found' }, 'permanent', false],
  ])('%j is %s (ambiguous: %s)', (err, kind, ambiguous) => {
    const c = classifyMailgunError(err);
    expect(c.kind).toBe(kind);
    expect(c.ambiguous).toBe(ambiguous);
  });

  it("keeps Mailgun's reason for a permanent failure", () => {
    expect(classifyMailgunError({ status: 400, message: 'Bad Request', details: "'from' parameter is missing" }).message).toBe("Mailgun 400: 'from' parameter is missing");
  });
});
