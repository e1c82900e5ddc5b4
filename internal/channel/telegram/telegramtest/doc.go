// Package telegramtest is a fake Telegram Bot API server for tests and
// benchmarks of Kite's Telegram adapter.
//
// A Server listens on loopback and answers the Bot API methods the adapter
// uses (getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
// sendMessage, sendPhoto, sendDocument, sendVoice, sendVideo, sendAudio,
// sendSticker, sendChatAction, getFile and file downloads) with Telegram's
// wire format: the same URL layout, the same four request encodings, the same
// JSON envelope, HTTP status equal to error_code, and Telegram's own error
// descriptions. It enforces Telegram's flood limits and answers 429 with
// retry_after, so a client's pacing can be tested and measured.
//
// Tests play the customer through helpers such as UserSays, GroupSays,
// UserSendsPhoto and UserBlocksBot, which create updates shaped exactly like
// Telegram's, or Inject for anything else. Updates wait for getUpdates or are
// POSTed to the webhook, as on Telegram. Every request is recorded (Calls),
// every accepted message too (Sent), with counters in Stats.
//
// Telegram behaviours kept on purpose, which tests may trip over: setWebhook
// with a URL is accepted once per second per bot (429 otherwise); a
// getUpdates call with timeout < 3 that repeats the previous call's offset
// within 3 seconds waits up to 3 seconds for updates; a photo upload must be
// an image; flood limits are sliding windows (see Rate), so a group that got
// 20 messages in a burst must wait most of a minute.
//
// Deliberate simplifications, each chosen because no client can tell the
// difference through the methods above or because following Telegram would
// need the network:
//   - parse_mode is ignored: text is stored and returned as sent, and markup
//     counts toward the 4096-unit limit. Entities are detected in plain text
//     only (bot_command, mention, hashtag, url).
//   - Files sent by URL are accepted without being downloaded (their content
//     is empty); replies to messages in other chats are treated as replies in
//     the same chat.
//   - A photo gets one PhotoSize, the original, where Telegram adds scaled
//     copies; clients that take the last (largest) size see no difference.
//   - Webhook URLs are not verified at setWebhook time, and deliveries go to
//     loopback hosts only; certificates are not checked. Answering a webhook
//     call with a method in the response body is not supported.
//   - Updates of kinds excluded by allowed_updates still consume an update_id.
//   - Telegram delays repeated 409 Conflict answers by up to 3 s; this server
//     answers them at once.
package telegramtest
