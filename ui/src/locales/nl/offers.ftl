# Verzoeken op het scherm: waarschuwingen, pop-ups en hun aftelling (OfferAlert, OfferPopup, Countdown).
# De namen van scenario's en de knoppen Accepteren/Weigeren/Item openen staan in common.ftl.

## Waarschuwing
# Onder een item dat de organisatie heeft toegewezen: alleen "Item openen" wordt aangeboden.
offer-assigned-hint = Dit item is aan u toegewezen; het kan niet worden geweigerd.

## Pop-up
# Knopinfo van de ×-knop die een pop-up verbergt
offer-popup-hide = Verbergen
offer-popup-hide-label = Deze melding verbergen

## Aftelling
countdown-label = Resterende tijd om te antwoorden
countdown-time-up = De tijd is om
