# Requests on the screen: alerts, popups and their countdown (OfferAlert, OfferPopup, Countdown).
# The scenario names and the Accept/Reject/Open item buttons are in common.ftl.

## Alert
# Under an item the organisation has assigned: only "Open item" is offered.
offer-assigned-hint = This item is assigned to you; it cannot be declined.

## Popup
# Tooltip of the × button that hides a popup
offer-popup-hide = Hide
offer-popup-hide-label = Hide this notification

## Countdown
countdown-label = Time left to answer
countdown-time-up = Time is up
