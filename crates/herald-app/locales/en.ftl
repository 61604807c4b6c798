# Herald's desktop words outside the window: toasts, the tray, notices. (The window's own are
# in ui/src/locales.) Keep nl.ftl in step: a test fails when a message is missing there.

## Toast buttons
button-accept = Accept
button-reject = Reject
button-open-item = Open item

## Toast titles without customer details (privacy mode), by scenario
scenario-chat = Chat request
scenario-sms = SMS conversation
scenario-voice = Incoming call
scenario-case = Case assigned
scenario-work-item = Conversation assigned
scenario-transfer = Conversation transferred to you
scenario-escalation = Conversation escalated to you
scenario-bot-escalation = A bot hands over a conversation
toast-private-body = Open Herald to see the details.
toast-auto-accepted = Accepted for you — the session is open in Herald.

## Presence
presence-available = Available
presence-busy = Busy
presence-busy-dnd = Busy – Do Not Disturb
presence-away = Away
presence-offline = Offline
presence-inactive = Inactive

## Tray
tray-open = Open Herald
tray-settings = Settings…
tray-quit = Quit Herald
tray-connecting = Connecting…
tray-connected = Connected
tray-polling = Connected (polling)
tray-reconnecting = Reconnecting…
tray-sign-in-again = Sign in again (Settings)
tray-sign-in = Sign in (Settings)
tray-tooltip = Herald — { $status }
tray-tooltip-waiting = Herald — { $status } — { $waiting ->
    [one] 1 waiting
   *[other] { $waiting } waiting
}

## Notices
notice-locked-away = The screen locked: you are Away until it unlocks.
notice-dnd-away = Your desktop's do-not-disturb is on: you are Away until it is off.
notice-nothing-to-accept = No request is waiting for you to accept.
notice-nothing-to-reject = No request is waiting for you to reject.
notice-no-sound = Herald cannot play sounds on this computer ({ $reason }): requests will not ring.
