"""The Twilio edge: webhooks in, TwiML out."""
