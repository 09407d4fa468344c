export {
  createMailer,
  MailError,
  type Mailer,
  type MailerOptions,
  type MailMessage,
  type OutgoingMail,
} from './mailer.js';
