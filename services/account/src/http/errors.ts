import { defineErrorRenderer } from '@trustplane/kernel';
import { errors } from '../errors.js';

function issueMessage(message: string, code: string): string {
  if (code === 'missing') return 'is required';
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/**
 * The seed's envelope `{ success: false, code, message, trace_id }` with the numeric codes of its
 * error-code table. Only the table's statuses are sent: every other client error is 400/4000.
 */
export const renderAccountError = defineErrorRenderer({
  catalogue: errors,
  kinds: {
    // A missing or malformed header is a bad request; a bad field value is a validation failure.
    validation: {
      names: ['BAD_REQUEST', 'VALIDATION'],
      pick: (error) =>
        error.issues.every((issue) => issue.location === 'headers') ? 'BAD_REQUEST' : 'VALIDATION',
    },
  },
  body: ({ code, message, details, error, request }) => ({
    success: false,
    code,
    message:
      error.kind === 'validation'
        ? error.issues
            .map(
              (issue) =>
                `${issue.path.join('.') || issue.location}: ${issueMessage(issue.message, issue.code)}`,
            )
            .join('; ')
        : message,
    trace_id: request.id,
    ...details,
  }),
});
