import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { Clock } from './lib/clock.svelte';
import { inTauri, tauriIpc, type Ipc } from './lib/ipc';
import { HeraldStore } from './lib/store.svelte';

async function pickIpc(): Promise<Ipc> {
  // `npm run dev` in a plain browser: a small in-page fake so the UI can be worked on alone.
  if (import.meta.env.DEV && !inTauri()) {
    const { devIpc } = await import('./lib/dev-ipc');
    return devIpc();
  }
  return tauriIpc;
}

pickIpc().then((ipc) => {
  const target = document.getElementById('app');
  if (!target) throw new Error('#app missing');
  const store = new HeraldStore(ipc);
  if (location.hash) store.navigate(location.hash);
  mount(App, { target, props: { store, clock: new Clock() } });
});
