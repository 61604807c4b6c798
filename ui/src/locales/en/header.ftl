# The top bar (Header.svelte), the notices under it (Notices.svelte) and the blocked banner
# (Banner.svelte). nl/header.ftl has the same ids.

## The top bar
header-signing-in = Signing in…
header-presence-title = Your presence
header-presence = Presence
header-embedded = Embedded demo workspace
header-team = Team
header-settings = Settings
# The action named in the error when the workspace refuses a presence change.
header-change-presence = Change presence

## Notices
notices-dismiss = Dismiss
notices-needs-token = Herald needs a token to sign in to { $url }.
notices-unauthorized = The workspace at { $url } refused the token.
notices-open-settings = Open Settings

## The blocked banner (the reasons are in common.ftl)
banner-ui-why-missed = Why was it missed?
banner-ui-reset-presence = Reset presence
