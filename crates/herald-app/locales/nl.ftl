# De woorden van Herald buiten het venster: meldingen, het systeemvak, berichten.

## Knoppen van een melding
button-accept = Accepteren
button-reject = Weigeren
button-open-item = Item openen

## Titels zonder klantgegevens (privacymodus), per scenario
scenario-chat = Chatverzoek
scenario-sms = Sms-gesprek
scenario-voice = Inkomend gesprek
scenario-case = Zaak toegewezen
scenario-work-item = Gesprek toegewezen
scenario-transfer = Gesprek naar u doorgeschakeld
scenario-escalation = Gesprek naar u geëscaleerd
scenario-bot-escalation = Een bot draagt een gesprek over
toast-private-body = Open Herald voor de details.
toast-auto-accepted = Voor u geaccepteerd — de sessie staat open in Herald.

## Aanwezigheid
presence-available = Beschikbaar
presence-busy = Bezet
presence-busy-dnd = Bezet – Niet storen
presence-away = Afwezig
presence-offline = Offline
presence-inactive = Inactief

## Systeemvak
tray-open = Herald openen
tray-settings = Instellingen…
tray-quit = Herald afsluiten
tray-connecting = Verbinden…
tray-connected = Verbonden
tray-polling = Verbonden (polling)
tray-reconnecting = Opnieuw verbinden…
tray-sign-in-again = Opnieuw aanmelden (Instellingen)
tray-sign-in = Aanmelden (Instellingen)
tray-tooltip = Herald — { $status }
tray-tooltip-waiting = Herald — { $status } — { $waiting } wachtend

## Berichten
notice-locked-away = Het scherm is vergrendeld: u staat op Afwezig tot het weer ontgrendeld is.
notice-dnd-away = Niet storen staat aan op uw bureaublad: u staat op Afwezig tot het uit staat.
notice-nothing-to-accept = Er wacht geen verzoek dat u kunt accepteren.
notice-nothing-to-reject = Er wacht geen verzoek dat u kunt weigeren.
notice-no-sound = Herald kan op deze computer geen geluid afspelen ({ $reason }): verzoeken gaan niet over.
