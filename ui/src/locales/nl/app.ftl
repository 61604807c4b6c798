# Het kader van het venster (App.svelte).

app-pick-session = Kies een sessie
app-no-session = Geen gesprek geopend
app-pick-session-help = Kies links een sessie om de klant en het gesprek te zien.
app-no-session-help = Als een klant naar u vraagt, toont Herald het verzoek hier (en op uw bureaublad) met Accepteren en Weigeren. Geaccepteerde chats, sms'jes, gesprekken en zaken openen hier, naast elkaar.
app-alerts = Verzoeken die op u wachten
app-alert-count = { $count } verzoeken wachten
app-popups = Meldingen
app-cannot-reach = Het venster van Herald kan de app niet bereiken
app-starting = Herald wordt gestart…
