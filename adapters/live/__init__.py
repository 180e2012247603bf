"""Live comment sources, each feeding `bot.radar.LiveComment` batches to a show's session.

replay     a timestamped CSV/JSONL played in real time or faster (demo, tests)
ingest     POST /live/comments, HMAC-signed batches from any other tool
youtube    YouTube Live chat through the YouTube Data API (liveChatMessages.list)
tiktok     TikTok LIVE through the community TikTokLive client (no official API)
web        the host's page (/live/<token>) with server-sent events
backoff    reconnect delays: multiplied, capped, jittered
"""
