# Words used across the window (logic.ts). One file per area; nl/ has the same ids.

## Presence (the same words as herald-core's labels; a test compares them)
presence-available = Available
presence-busy = Busy
presence-busy_dnd = Busy – Do Not Disturb
presence-away = Away
presence-offline = Offline
presence-inactive = Inactive
# A custom presence with its base: "Lunch (Away)"
presence-custom = { $custom } ({ $base })

## Why an agent is blocked
banner-missed = Missed request
banner-rejected = Rejected request
banner-max_sessions = Maximum sessions reached
banner-disconnected = Disconnected
banner-other = Attention

## Scenarios (R1–R8)
scenario-chat = Chat
scenario-sms = SMS
scenario-voice = Voice call
scenario-case = Case
scenario-work_item = Work item
scenario-transfer = Transfer
scenario-escalation = Escalation
scenario-bot_escalation = Bot escalation

## Sessions and calls
session-assigned = Assigned
session-open = Open
session-closed = Closed
call-connected = Connected
call-on_hold = On hold
call-ended = Call ended
delivery-sending = Sending…
delivery-retrying = Sending… (attempt { $attempt })
delivery-failed = Not delivered
delivery-failed-why = Not delivered: { $error }

## Offer buttons
action-accept = Accept
action-reject = Reject
action-open_item = Open item

## An offer's timeline
timeline-offered = Offered
timeline-shown = Shown on the screen
timeline-held_unseen = Never shown, the app was gone: held
timeline-toast_clicked = Toast clicked
timeline-toast_dismissed = Toast closed without an answer
timeline-sound_played = Sound played
timeline-screen_locked = Screen locked
timeline-screen_unlocked = Screen unlocked
timeline-do_not_disturb_on = Desktop's do-not-disturb on
timeline-do_not_disturb_off = Desktop's do-not-disturb off
timeline-accepted = Accepted
timeline-rejected = Rejected
timeline-timed_out = Nobody answered in time
timeline-withdrawn = Withdrawn
timeline-offered_next = Offered next

## Waits and countdowns
wait-seconds = { $s } s
wait-minutes = { $m } min { $s } s
wait-hours = { $h } h { $m } min

## The link to the workspace
connection-live = Live
connection-polling = Connected (polling)
connection-reconnecting = Reconnecting…
connection-connecting = Connecting…
connection-unauthorized = Sign-in refused
connection-needs_token = Sign-in needed

## Desktop notifications (R16)
toasts-unavailable = Desktop notifications are unavailable: { $detail }. Alerts inside Herald keep working.
toasts-unavailable-why = the system did not allow them
toasts-no-actions = Desktop notifications here cannot carry buttons: they only inform. Accept or reject inside Herald.

## Notification modes (R11)
mode-workspace = Use the workspace's setting
mode-always = Always
mode-background = Only when Herald is in the background
mode-off = Off

## Ringing
ring-chat = Chat
ring-sms = SMS
ring-voice = Voice call (rings like a phone)
ring-case = Case or work item
ring-transfer = Transfer or escalation

## Refusals
error-offer_not_pending = This request is no longer available — it was taken, withdrawn or timed out.
error-reject_not_allowed = This request cannot be declined: your organisation has it assigned to you.
error-forbidden = You are not allowed to do that.
error-not_found = That item no longer exists.
error-unauthenticated = The workspace did not accept your sign-in. Check the token in Settings.
error-unavailable = The workspace is switching to another server; try again in a moment.
error-wrong_state = That cannot be done right now: the item has changed in the meantime.
error-failed = The command failed.
