export {
  createMailer,
  MailError,
  type Mailer,
  type MailerOptions,
  type MailAddress,
  type MailMessage,
  type OutgoingMail,
  type SentMail,
} from './mailer.js';
